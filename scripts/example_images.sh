#!/usr/bin/env bash
# Puts example photos in examples/images/ (git-ignored): scikit-image's wheel bundles a few public-domain
# test images (chelsea.png is a cat). Only the wheel is downloaded and the files taken out of it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/examples/images"
files=(chelsea.png coffee.png astronaut.png rocket.jpg motorcycle_left.png)
have=0
for f in "${files[@]}"; do [ -f "$dest/$f" ] && have=$((have + 1)); done
[ "$have" -eq ${#files[@]} ] && exit 0
py="$root/.venv/bin/python"
[ -x "$py" ] || py=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: -d "$tmp" scikit-image
mkdir -p "$dest"
"$py" - "$tmp" "$dest" "${files[@]}" <<'PY'
import glob, os, sys, zipfile
tmp, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
wheel = glob.glob(os.path.join(tmp, "*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        with z.open(f"skimage/data/{name}") as src, open(os.path.join(dest, name), "wb") as out:
            out.write(src.read())
print(f"example images in {dest}: {', '.join(names)}")
PY
