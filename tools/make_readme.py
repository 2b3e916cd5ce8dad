"""Write README.md from nbs/index.ipynb without Quarto (`nbdev_readme` does the same where Quarto is installed).
Links to notebooks are rewritten to `nbs/NAME.ipynb`, so they resolve from the repository root.

Markdown cells are copied; code cells lose their `#|` directives (cells marked `#| hide` are dropped) and keep
their stored outputs: text, HTML tables and PNG figures (saved next to README.md in README_files/)."""
import base64, re, sys
from pathlib import Path
import nbformat

def cell_markdown(cell, img_dir: Path, idx: int) -> str:
    if cell.cell_type == 'markdown': return re.sub(r'\]\((\w+\.ipynb)\)', r'](nbs/\1)', cell.source)  # notebook links from the repository root
    lines = cell.source.splitlines()
    if any(l.strip() in ('#| hide', '#|hide') for l in lines): return ''
    parts = [f"```python\n{chr(10).join(l for l in lines if not l.startswith('#|'))}\n```"]
    for j, o in enumerate(cell.get('outputs', [])):
        data = o.get('data', {})
        if o.output_type == 'stream': parts.append(f"```\n{o.text.rstrip()}\n```")
        elif 'image/png' in data:
            img_dir.mkdir(exist_ok=True)
            name = f'figure-{idx}-{j}.png'
            (img_dir / name).write_bytes(base64.b64decode(data['image/png']))
            parts.append(f"![]({img_dir.name}/{name})")
        elif 'text/html' in data: parts.append(data['text/html'])
        elif 'text/plain' in data: parts.append(f"```\n{data['text/plain']}\n```")
    return '\n\n'.join(parts)

def main(root: Path = Path(__file__).resolve().parent.parent):
    nb = nbformat.read(root / 'nbs' / 'index.ipynb', as_version=4)
    img_dir = root / 'README_files'
    text = '\n\n'.join(s for i, c in enumerate(nb.cells) if (s := cell_markdown(c, img_dir, i)))
    (root / 'README.md').write_text('<!-- generated from nbs/index.ipynb by tools/make_readme.py; do not edit -->\n\n' + text + '\n')

if __name__ == '__main__': main(*(Path(a) for a in sys.argv[1:]))
