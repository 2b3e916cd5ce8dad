"""Build the docs site offline, without Quarto: nbdev processes the notebooks (show_doc, hidden cells,
directives) into _proc/, then MkDocs with mkdocs-jupyter renders them, outputs as stored, into _site/.

Where Quarto is installed, `nbdev_docs` builds the same pages with nbdev's own theme.
Usage: python tools/build_docs.py [--out _site]"""
import argparse, json, re, shutil, subprocess, sys
from pathlib import Path
import nbformat, yaml

ROOT = Path(__file__).resolve().parent.parent

def process_notebooks() -> Path:
    "nbdev's processing of nbs/ into _proc/ (what Quarto would render)."
    from nbdev.serve import proc_nbs
    return Path(proc_nbs(path=str(ROOT / 'nbs'), n_workers=0, force=True))

def title_of(nb) -> str:
    "The notebook's first '# Title' (nbdev moves it into the front matter, which `prepare_pages` reads first)."
    for c in nb.cells:
        m = re.match(r'#\s+(.+)', c.source) if c.cell_type == 'markdown' else None
        if m: return m.group(1).strip()
    return 'Untitled'

QUARTO_ATTRS = re.compile(r'\{(?:target|style|\.)[^}]*\}')

def quarto_to_mkdocs(cell):
    "What Quarto does with nbdev's directives: `output: asis` cells become their markdown, `echo: false` hides the code."
    if cell.cell_type != 'code': return cell
    lines = cell.source.splitlines()
    directives = {l.strip() for l in lines if l.startswith('#|')}
    if '#| output: asis' in directives:
        md = '\n\n'.join(''.join(o['data']['text/markdown']) for o in cell.outputs if 'text/markdown' in o.get('data', {}))
        return nbformat.v4.new_markdown_cell(QUARTO_ATTRS.sub('', md))
    cell.source = '\n'.join(l for l in lines if not l.startswith('#|'))
    if '#| echo: false' in directives: cell.metadata.setdefault('tags', []).append('remove_input')
    return cell

def prepare_pages(proc: Path, docs: Path) -> list:
    "Copy processed notebooks into the MkDocs docs folder, front matter turned into a heading; returns the nav."
    if docs.exists(): shutil.rmtree(docs)
    docs.mkdir(parents=True)
    nav = []
    for src in sorted(proc.glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.stem)):
        nb = nbformat.read(src, as_version=4)
        title, desc = title_of(nb), ''
        for c in nb.cells:
            if c.cell_type == 'raw' and c.source.startswith('---'):
                front = yaml.safe_load(c.source.strip().strip('-')) or {}
                title, desc = front.get('title', title), front.get('description', '')
        nb.cells = [quarto_to_mkdocs(c) for c in nb.cells if not (c.cell_type == 'raw' and c.source.startswith('---'))]
        head = f'# {title}\n\n' + (f'> {desc}\n' if desc else '')
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(head))
        nb.metadata.pop('widgets', None)  # widget state would make the page fetch a widget manager from a CDN
        nbformat.write(nb, docs / src.name)
        nav.append({title if src.stem != 'index' else 'Home': src.name})
    (docs / 'extra.css').write_text((ROOT / 'nbs' / 'styles.css').read_text())
    add_mathjax(docs)
    return nav

MATHJAX_CONFIG = """window.MathJax = {tex2jax: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], processEscapes: true},
                 'HTML-CSS': {availableFonts: ['STIX-Web'], preferredFont: 'STIX-Web', webFont: 'STIX-Web', imageFont: null},
                 showMathMenu: false};  // the packaged copy has the STIX-Web fonts only"""

def add_mathjax(docs: Path):
    "Serve MathJax from the site itself (the copy the jupyter-server-mathjax package ships), so formulas render offline."
    import jupyter_server_mathjax
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / 'static', docs / 'mathjax')
    (docs / 'mathjax-config.js').write_text(MATHJAX_CONFIG)

def build(out: Path = ROOT / '_site') -> Path:
    proc = process_notebooks()
    work = ROOT / '_mkdocs'
    nav = prepare_pages(proc, work / 'docs')
    cfg = dict(site_name='idla-nbdev', docs_dir='docs', site_dir=str(out.resolve()), nav=nav, use_directory_urls=False,
               theme={'name': 'readthedocs', 'highlightjs': False}, extra_css=['extra.css'],  # nothing from a CDN: the site works offline
               extra_javascript=['mathjax-config.js', 'mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full'],
               plugins=[{'mkdocs-jupyter': {'execute': False, 'include_source': True, 'ignore_h1_titles': True,
                                            'include_requirejs': False, 'remove_tag_config': {'remove_input_tags': ['remove_input']}}}],
               markdown_extensions=['tables'])
    (work / 'mkdocs.yml').write_text(json.dumps(cfg, indent=1))  # JSON is valid YAML
    subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-f', str(work / 'mkdocs.yml')], check=True)
    for page in out.glob('*.html'): page.write_text(strip_cdn_loaders(page.read_text()))
    return out

def strip_cdn_loaders(html: str) -> str:
    "Drop the notebook template's loaders that fetch from a CDN (widget manager), so pages work offline."
    return re.sub(r'<script[^>]*>(?:(?!</script>).)*?unpkg\.com(?:(?!</script>).)*?</script>', '', html, flags=re.S)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default=str(ROOT / '_site'))
    print(f"site written to {build(Path(p.parse_args().out))}")
