"""Pack subfolders validated by other domain packages; importing this registers them."""

from openum.directory.schema import DirectoryFile
from openum.packs.loader import register_section

register_section("directory", DirectoryFile)
