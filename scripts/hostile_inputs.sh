#!/usr/bin/env bash
# The hostile inputs of issue #13, run through `python -m geo` as a user would: one line per case
# (exit code, seconds, the last line printed). Needs root for the read-only case (chattr +i).
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
T=$(mktemp -d /tmp/repro.XXXX)
hdr='Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context'
row() { echo ",$1,Force,Force,-2.58,51.45,On or near X,E01,Bristol 001A,Anti-social behaviour,,"; }
run() { local name=$1; shift; local t0=$(date +%s.%N); out=$("$@" 2>&1); rc=$?; t1=$(date +%s.%N); printf '%-22s rc=%s %5.2fs  %s\n' "$name" "$rc" "$(echo "$t1-$t0"|bc)" "$(echo "$out" | tail -1 | cut -c1-230)"; }
# 1 zip bomb: one member claiming 4 GiB (real zeros, deflated)
$PY - "$T" <<'P'
import sys, zipfile, os
t=sys.argv[1]
with zipfile.ZipFile(f"{t}/bomb.zip","w",zipfile.ZIP_DEFLATED) as z:
    with z.open("2024-01-x-street.csv","w",force_zip64=True) as m:
        chunk=b"\0"*(1<<24)
        for _ in range(256): m.write(chunk)
with zipfile.ZipFile(f"{t}/many.zip","w") as z:
    h="Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n"
    for i in range(3000): z.writestr(f"2024-01/{i}-street.csv", h+f",2024-01,F,F,-2.58,51.45,On or near {i},E01,B 001A,Anti-social behaviour,,\n")
P
run "zip bomb" $PY -m geo import incidents $T/bomb.zip --db $T/a.sqlite
run "3000-file zip" $PY -m geo import incidents $T/many.zip --db $T/b.sqlite
{ echo "$hdr"; row 1899-01; row 2999-01; row 2024-01; } > $T/months.csv
run "months 1899/2999" $PY -m geo import incidents $T/months.csv --db $T/c.sqlite --json
printf '%s\r%s\r%s\r' "$hdr" "$(row 2024-01)" "$(row 2024-02)" > $T/cr.csv
run "CR-only" $PY -m geo import incidents $T/cr.csv --db $T/d.sqlite
{ echo "$hdr"; head -c 52428800 /dev/zero | tr '\0' 'x'; echo; row 2024-01; } > $T/long.csv
run "50 MB line" $PY -m geo import incidents $T/long.csv --db $T/e.sqlite
{ echo "$hdr"; echo ",2024-01,F,F,-2.58,51.45,Café,E01,B 001A,Anti-social behaviour,,"; printf ',2024-01,F,F,-2.58,51.45,Caf\xe9 2,E01,B 001A,Anti-social behaviour,,\n'; } > $T/mixed.csv
run "utf8+cp1252 row" $PY -m geo import incidents $T/mixed.csv --db $T/f.sqlite
$PY -c "import sys; d='$hdr\n,2024-01,F,F,-2.58,51.45,X,E01,B,Anti-social behaviour,,\n'.encode('utf-16'); open('$T/u16.csv','wb').write(d[:-1])"
run "truncated UTF-16" $PY -m geo import incidents $T/u16.csv --db $T/g.sqlite
head -c 20000 /dev/urandom > $T/bin.csv
run "binary CSV" $PY -m geo import incidents $T/bin.csv --db $T/h.sqlite
{ echo "$hdr"; row 2024-01; } > $T/ok.csv
$PY -m geo import incidents $T/ok.csv --db $T/ro.sqlite >/dev/null; chattr +i $T/ro.sqlite 2>/dev/null
{ echo "$hdr"; row 2024-02; } > $T/ok2.csv
run "read-only store" $PY -m geo import incidents $T/ok2.csv --db $T/ro.sqlite
chattr -i $T/ro.sqlite 2>/dev/null
# open mode
$PY -m geo demo --db $T/demo.sqlite >/dev/null
run "real into demo" $PY -m geo import incidents $T/ok.csv --db $T/demo.sqlite
run "demo --remove" $PY -m geo demo --remove --db $T/demo.sqlite
run "real after remove" $PY -m geo import incidents $T/ok.csv --db $T/demo.sqlite
run "audit verify" $PY -m geo audit verify --db $T/demo.sqlite
$PY -m geo export-all $T/bk --db $T/demo.sqlite >/dev/null
$PY - "$T/bk" <<'P'
import sys, csv, hashlib, json, pathlib
bk=pathlib.Path(sys.argv[1]); f=bk/"audit.csv"
rows=list(csv.reader(f.open(encoding="utf-8")))
i=rows[0].index("reason"); rows[2][i]="nothing to see"
with f.open("w",encoding="utf-8",newline="") as o: csv.writer(o).writerows(rows)
m=json.loads((bk/"manifest.json").read_text())
m["files"]["audit.csv"]["sha256"]=hashlib.sha256(f.read_bytes()).hexdigest()
m["files"]["audit.csv"]["bytes"]=f.stat().st_size
(bk/"manifest.json").write_text(json.dumps(m))
P
run "import-all edited" $PY -m geo import-all $T/bk --db $T/restore.sqlite
rm -rf $T
