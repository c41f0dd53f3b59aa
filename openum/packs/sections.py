"""Pack subfolders validated by other domain packages; importing this registers them."""

import openum.appeals.schema  # noqa: F401  (registers the appeals section)
from openum.deadlines.schema import ClockFile
from openum.directory.schema import DirectoryFile
from openum.episodes import pack_schema as episodes
from openum.notification.letters.schema import LettersFile
from openum.packs.loader import register_section
from openum.review.criteria.schema import PolicyFile
from openum.review.routing_schema import RoutingFile

register_section("directory", DirectoryFile)
register_section("clocks", ClockFile)
register_section("policies", PolicyFile)
register_section("routing", RoutingFile)
register_section("letters", LettersFile)
register_section("admissions", episodes.AdmissionsFile)
register_section("retrospective", episodes.RetrospectiveFile)
register_section("referrals", episodes.ReferralsFile)
register_section("network_access", episodes.NetworkAccessFile)
