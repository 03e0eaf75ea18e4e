#!/usr/bin/env bash
# Records a project's public API changes in its PublicAPI.Unshipped.txt from the analyzer's own messages:
# adds every symbol RS0016 reports (new public API) and removes every one RS0017 reports (gone).
# Usage: runtime/scripts/update-public-api.sh Layers/NativeNets.Layers.csproj   (then review the diff)
set -euo pipefail
project="$1"
dir="$(dirname "$project")"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet build "$project" -c Release -p:TreatWarningsAsErrors=false 2>&1 | grep -E "error RS001[67]|warning RS001[67]" > "$log" || true
python3 - "$dir/PublicAPI.Unshipped.txt" "$log" <<'PY'
import re, sys
path, log = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
add, remove = [], set()
for line in open(log):
    m = re.search(r"RS0016: Symbol '(.*)' is not part of the declared", line)
    if m and m.group(1) not in add: add.append(m.group(1))
    m = re.search(r"RS0017: Symbol '(.*)' is part of the declared API", line)
    if m: remove.add(m.group(1))
kept = [l for l in lines if l not in remove]
new = [a for a in add if a not in kept]
# Appended, not re-sorted, so that the diff shows only what changed.
open(path, 'w').write('\n'.join(kept + new) + '\n')
print(f"{path}: {len(new)} added, {len(remove)} removed")
PY
