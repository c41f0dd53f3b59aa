"""Pack subfolders validated by other domain packages; importing this registers them."""

from openum.deadlines.schema import ClockFile
from openum.directory.schema import DirectoryFile
from openum.notification.letters.schema import LettersFile
from openum.packs.loader import register_section
from openum.review.criteria.schema import PolicyFile
from openum.review.routing_schema import RoutingFile

register_section("directory", DirectoryFile)
register_section("clocks", ClockFile)
register_section("policies", PolicyFile)
register_section("routing", RoutingFile)
register_section("letters", LettersFile)
