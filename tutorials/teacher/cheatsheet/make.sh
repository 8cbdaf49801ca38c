#!/bin/sh
# Renders the one-page cheat sheets assets/cheatsheet-en.png and assets/cheatsheet-zh.png
# (A4 at 150 dpi: 1240x1754 px) from cheatsheet.py.
#
# Needs Python 3 with Pillow and the Noto CJK fonts. On a fresh Debian or Ubuntu machine:
#   sudo apt-get install python3-pil fonts-noto-cjk     (or: pip install pillow)
# Run from anywhere: tutorials/teacher/cheatsheet/make.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
python3 "$here/cheatsheet.py" en "$root/assets/cheatsheet-en.png"
python3 "$here/cheatsheet.py" zh "$root/assets/cheatsheet-zh.png"
