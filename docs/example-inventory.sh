#!/usr/bin/env bash
# How records/ in this repository was made: with the svt CLI, one commit per change.
# Run from the repository root on a checkout without records/ (it refuses otherwise).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
svt() { command svt --repo "$repo" "$@"; }
plots="$(mktemp -d)"
python3 - "$plots" <<'PY'
import math, struct, sys, zlib
def png(path, f, w=96, h=64):
    rows = []
    ys = [int((h - 4) * (1 - f(x / (w - 1)))) + 2 for x in range(w)]
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            on = abs(ys[x] - y) <= 1 or y == h - 2 or x == 1
            row += bytes([20, 20, 120] if on else [255, 255, 255])
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                 + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
png(f"{sys.argv[1]}/iv_curve.png", lambda x: 0.8 * (1 - math.exp(-6 * x)) + 0.15 * x)
png(f"{sys.argv[1]}/noise_scan.png", lambda x: 0.5 + 0.08 * math.sin(40 * x))
with open(f"{sys.argv[1]}/iv_curve.csv", "w") as fh:
    fh.write("voltage_V,current_A\n" + "".join(f"{v},{2.3e-6 * (1 - math.exp(-v / 15)):.3e}\n" for v in range(0, 101, 10)))
PY
svt init "$repo"
for n in 1 2 3; do
  svt add --id "MODULE-L1-00$n" --type module --manufacturer HPK --location "Clean Room" --status incoming
  svt add --id "SENSOR-S1234$n" --type sensor --manufacturer HPK --serial "HPK-S1234$n" --location "Clean Room" --status incoming --attr thickness_um=320
  svt add --id "HYBRID-H6789$n" --type hybrid --manufacturer SLAC --location "Clean Room" --status incoming --attr apv_count=5
  svt assemble "MODULE-L1-00$n" --sensor "SENSOR-S1234$n" --hybrid "HYBRID-H6789$n" --assembled-by "Jane Doe" --notes "Epoxy cure 24 h" --date "2025-01-1${n}T10:00:00-05:00"
  svt test "MODULE-L1-00$n" --type iv_curve --pass --voltage 100 --current "2.${n}e-6" --temp -9.0 --images "$plots/iv_curve.png" --data "$plots/iv_curve.csv" --tested-by "Jane Doe" --setup "SLAC probe station" --date "2025-01-2${n}T14:30:00-05:00"
  svt test "MODULE-L1-00$n" --type noise_test --pass --noise $((1550 + 20 * n)) --measure bad_channels=47,128 --images "$plots/noise_scan.png" --tested-by "Jane Doe" --date "2025-01-2${n}T16:05:00-05:00"
  svt add --id "MODULE-L1-00$n" --status qualified
done
for n in 1 2 3 4; do
  svt add --id "FEB-00$n" --type feb --serial "FEB-00$n-2024" --manufacturer SLAC --status spare --location "Hall B"
  svt add --id "CABLE-SIG-00$n" --type cable --manufacturer SLAC --status spare --attr length_m=1.5
done
svt add --id MPOD-CRATE-1 --type mpod_crate --manufacturer WIENER --status spare --location "Hall B rack 3"
svt add --id MPOD-HV-01 --type mpod_module --manufacturer ISEG --status spare --location "Hall B rack 3" --attr channels=16
svt install MODULE-L1-001 Layer1_top_axial --run-period 2025_spring_run --installed-by "John Doe" --date "2025-02-03T09:00:00-05:00"
svt install MODULE-L1-002 Layer1_bottom_axial --run-period 2025_spring_run --installed-by "John Doe" --date "2025-02-03T09:40:00-05:00"
svt install FEB-001 FEB1 --run-period 2025_spring_run --installed-by "John Doe" --date "2025-02-03T11:00:00-05:00"
svt connect MODULE-L1-001 FEB-001 --type signal --cable CABLE-SIG-001 --date "2025-02-03T11:30:00-05:00"
svt connect MODULE-L1-002 FEB-001 --type signal --cable CABLE-SIG-002 --date "2025-02-03T11:45:00-05:00"
svt log MODULE-L1-002 "Noise on channel 311 rising after cooldown" --type issue --severity warning --by "John Doe" --date "2025-03-02T08:15:00-05:00"
svt comment MODULE-L1-001 "Performance stable after 2 weeks" --by "Jane Doe" --date "2025-02-17T10:00:00-05:00"
svt location MODULE-L1-003 "Clean Room Storage" --by "Jane Doe" --date "2025-02-05T15:00:00-05:00"
rm -rf "$plots"
