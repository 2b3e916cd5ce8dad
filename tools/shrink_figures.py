"""Store the notebooks' figures small: re-encode each PNG output as a palette PNG (at most 128 colours, which plots
with a few line and fill colours need) where that is smaller. Run after executing a notebook, before committing.
Usage: python tools/shrink_figures.py nbs/07c_report.ipynb [...] [--colors 64]"""
import argparse, base64, io
from pathlib import Path
import nbformat
from PIL import Image

def shrink_png(data: bytes, colors: int = 128) -> bytes:
    """`data` as a palette PNG of at most `colors` colours, or unchanged where that is not smaller or it is one of at
    most `colors` already."""
    im = Image.open(io.BytesIO(data))
    if im.mode == 'P' and len(im.getcolors(256) or range(257)) <= colors: return data  # quantising again would only churn the bytes
    out = io.BytesIO()
    im.convert('RGB').quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(out, 'PNG', optimize=True)
    return out.getvalue() if len(out.getvalue()) < len(data) else data

def shrink_notebook(path: Path, colors: int = 128) -> tuple[int, int]:
    "Shrink every PNG output of the notebook at `path` in place; `(bytes before, bytes after)` of those figures."
    nb = nbformat.read(path, as_version=4)
    before = after = 0
    for cell in nb.cells:
        for out in cell.get('outputs', []):
            data = out.get('data', {})
            if 'image/png' not in data: continue
            raw = base64.b64decode(data['image/png'])
            small = shrink_png(raw, colors)
            before, after = before + len(raw), after + len(small)
            data['image/png'] = base64.b64encode(small).decode()
    nbformat.write(nb, path)
    return before, after

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('notebooks', nargs='+', type=Path)
    p.add_argument('--colors', type=int, default=128, help='palette size (64 keeps line plots legible)')
    args = p.parse_args()
    for nb in args.notebooks:
        b, a = shrink_notebook(nb, args.colors)
        print(f"{nb}: figures {b / 1024:.0f} KB -> {a / 1024:.0f} KB")
