#!/usr/bin/env bash
# Renders every .docx under a report folder to PDF (LibreOffice, headless) and the first
# page of each to PNG (pdftoppm), so the DOCX briefing and letters can be looked at and
# checked to open. Installs libreoffice-writer and poppler-utils when missing.
#   ./scripts/check-docx.sh reports/weekly-2026-10-31 [OUT_DIR]
set -euo pipefail
folder=${1:?give a report folder}
out=${2:-$folder/docx-check}
for pkg in libreoffice-writer poppler-utils fonts-wqy-microhei; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="${missing:-} $pkg"
done
if [ -n "${missing:-}" ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $missing >/dev/null
fi
mkdir -p "$out"
find "$folder" -name '*.docx' -not -path "$out/*" -print0 | while IFS= read -r -d '' f; do
    soffice --headless --convert-to pdf --outdir "$out" "$f" >/dev/null 2>&1
    pdf="$out/$(basename "${f%.docx}").pdf"
    [ -s "$pdf" ] || { echo "FAILED to convert $f" >&2; exit 1; }
    pdftoppm -png -r 60 -f 1 -l 1 "$pdf" "${pdf%.pdf}"
    echo "ok $(basename "$f") → $(pdfinfo "$pdf" | awk '/^Pages/ {print $2}') pages"
done
