#!/usr/bin/env bash
# Runs the xunit v3 test executable and ends with the plain line "N passed, N failed, N skipped".
set -uo pipefail
exe="$1"
log="$(mktemp)"
"$exe" -noColor -parallel all 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
summary=$(grep -E "Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+" "$log" | tail -n 1)
rm -f "$log"
if [ -z "$summary" ]; then
  echo "0 passed, 1 failed, 0 skipped"
  echo "the test runner printed no summary (exit code $code)" >&2
  exit 1
fi
num() { sed -E "s/.*$1: ([0-9]+).*/\1/" <<<"$summary"; }
total=$(num Total); errors=$(num Errors); failed=$(num Failed); skipped=$(num Skipped)
notrun=$(grep -qE "Not Run: [0-9]+" <<<"$summary" && num "Not Run" || echo 0)
failed=$((failed + errors))
passed=$((total - failed - skipped - notrun))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$code" -eq 0 ] && [ "$failed" -eq 0 ]
