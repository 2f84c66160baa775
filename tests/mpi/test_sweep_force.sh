# ballot sweep --out DIR: the closing table and the folder hold this sweep's
# runs only.
#  - --force over an earlier, larger sweep removes the earlier run files:
#    none of its other configurations is left to mix into report or plots;
#  - a sweep into a folder that also holds other results reports only its
#    own runs at the end.
. "$(dirname "$0")/lib.sh"
S=(-o experiment.kernel=none -o cluster.replicas=1 -o experiment.duration_s=0.2
	-o experiment.warmup_s=0.05 -o baseline.iterations=10 -o experiment.status_interval_s=0
	-o experiment.output_dir="$TMP")
groups() { grep -c '^  [0-9a-f]\{16\} ' "$TMP/out" || true; }

run 2 sweep configs/compare.ini "${S[@]}" --vary clients.outstanding=1,2 --repeat 2 --quiet \
	--out "$TMP/sw"
expect_rc 0
[ "$(find "$TMP/sw" -name 'p*.h5' | wc -l)" -eq 4 ] || fail "first sweep: not 4 files"
[ "$(groups)" -eq 2 ] || fail "first sweep: not 2 groups"
# A file of someone else's in the folder is not the sweep's to remove.
cp "$TMP/sw/p001-r1.h5" "$TMP/sw/mine.h5"

run 2 sweep configs/compare.ini "${S[@]}" --vary clients.outstanding=8 --quiet --out "$TMP/sw" --force
expect_rc 0
left=$(cd "$TMP/sw" && ls p*.h5 | tr '\n' ' ')
[ "$left" = "p000-r0.h5 " ] || fail "--force left earlier runs behind: $left"
[ -f "$TMP/sw/mine.h5" ] || fail "--force removed a file that is no sweep run"
[ "$(groups)" -eq 1 ] || fail "closing table of the forced sweep: not 1 group"
expect_out 'clients.outstanding=8'
if grep -q 'clients.outstanding=[12]$' "$TMP/out"; then fail "closing table shows the earlier sweep's points"; fi
expect_out '# ballot report --group: 1 run in 1 configuration'
echo ok
