"""Build the offline docs site and check it in headless Chromium, as a reader would see it: every page loads
without console errors, every exported function or class has its API entry with its docstring, the notebooks'
figures are visible images, and nothing trips a reader (prompts, widget reprs, clipped content, dead links,
files outside the project)."""
import functools, http.server, importlib, inspect, os, re, shutil, socket, subprocess, sys, threading
from html.parser import HTMLParser
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / '_screenshots'  # what the reader sees, page by page (ignored by git)
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync']

def chromium_path():
    for p in (os.environ.get('CHROMIUM'), shutil.which('chromium'), shutil.which('chromium-browser'), shutil.which('google-chrome')):
        if p and Path(p).exists(): return p

def page_modules() -> dict:
    "Page (notebook stem) -> exported module, from each notebook's default_exp."
    out = {}
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        m = re.search(r'#\|\s*default_exp\s+(\w+)', nb.read_text())
        if m: out[nb.stem] = f'idla_nbdev.{m.group(1)}'
    return out

def api_symbols(module: str) -> list:
    "Exported functions and classes defined in `module`, with the first line of their docstring."
    mod = importlib.import_module(module)
    syms = []
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, '__module__', '') == module:
            syms.append((name, (inspect.getdoc(obj) or '').splitlines()[0] if inspect.getdoc(obj) else ''))
    return syms

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')
    subprocess.run([sys.executable, str(ROOT / 'tools' / 'build_docs.py'), '--out', str(out)], check=True, cwd=ROOT)
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield out, f'http://127.0.0.1:{port}'
    httpd.shutdown()

@pytest.fixture(scope='module')
def browser():
    exe = chromium_path()
    if exe is None: pytest.skip("no Chromium found (install Debian's chromium, or set CHROMIUM): browser checks skipped")
    try: from playwright.sync_api import sync_playwright
    except ImportError: pytest.skip("playwright is not installed: browser checks skipped")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()

OUTSIDE = re.compile(r'shared folder|\.\./shared|DESIGN\.md|seed-paper', re.I)

def reader_problems(page, text: str, out: Path, url: str) -> list:
    "What a reader would trip over: prompts, widget reprs, content wider than the page, dead internal links, outside files."
    found = []
    if re.search(r'\bIn\s*\[\s*\d*\s*\]:', text): found.append("shows 'In [ ]:' prompts")
    if re.search(r'\b[VH]Box\(children=', text): found.append("shows a raw widget repr")
    if OUTSIDE.search(text): found.append(f"mentions a file outside the project: {OUTSIDE.search(text).group(0)!r}")
    clipped = page.evaluate("""() => [...document.querySelectorAll('table, pre, img')].filter(el => {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.right <= document.documentElement.clientWidth + 1) return false;
        for (let p = el.parentElement; p; p = p.parentElement) {
            const o = getComputedStyle(p).overflowX;
            if ((o === 'auto' || o === 'scroll') && p.getBoundingClientRect().right <= document.documentElement.clientWidth + 1) return false;
        }
        return true; }).length""")
    if clipped: found.append(f"{clipped} table(s), code block(s) or figure(s) clipped at the right edge")
    sideways = page.evaluate("""() => [...document.querySelectorAll('.jp-RenderedMarkdown pre')]
        .filter(el => el.scrollWidth > el.clientWidth + 1).length""")
    if sideways: found.append(f"{sideways} signature(s) or code block(s) in prose that need sideways scrolling")
    for href in set(page.eval_on_selector_all('a[href]', 'els => els.map(e => e.getAttribute("href"))')):
        if re.match(r'^(\w+:|#|//)', href): continue
        target = href.split('#')[0].split('?')[0]
        if target and not (out / target).resolve().exists(): found.append(f"dead link {href!r}")
    return found

def test_site_has_a_page_per_notebook(site):
    out, _ = site
    pages = {p.stem for p in out.glob('*.html')}
    missing = {nb.stem for nb in (ROOT / 'nbs').glob('*.ipynb')} - pages
    assert not missing, f"notebooks without a page: {missing}"

class _Headings(HTMLParser):
    "Text of the h2-h4 headings of one HTML page."
    def __init__(self):
        super().__init__(); self.found, self._open = [], None
    def handle_starttag(self, tag, attrs):
        if tag in ('h2', 'h3', 'h4'): self._open = []
    def handle_endtag(self, tag):
        if tag in ('h2', 'h3', 'h4') and self._open is not None: self.found.append(''.join(self._open).strip()); self._open = None
    def handle_data(self, data):
        if self._open is not None: self._open.append(data)

def page_headings(html: str) -> set:
    parser = _Headings(); parser.feed(html)
    return set(parser.found)

def missing_api_entries(name: str, headings: set) -> list:
    "Exported functions and classes of the page's module that have no heading of their own (one `show_doc` per cell)."
    module = page_modules().get(Path(name).stem)
    if not module: return []
    return [f"{name}: no API entry for {module}.{sym}" for sym, _ in api_symbols(module)
            if not any(h == sym or h.startswith(sym) or h.endswith('.' + sym) for h in headings)]

def test_every_exported_symbol_has_an_api_entry(site):
    "The same check the browser test makes, from the HTML alone, so machines without Chromium catch it too."
    out, _ = site
    problems = [p for page in sorted(out.glob('*.html')) for p in missing_api_entries(page.name, page_headings(page.read_text()))]
    assert not problems, '\n'.join(problems)

def test_readers_see_examples_not_failure_tests(site):
    "`test_fail` checks run as tests in hidden cells; the pages show the examples (test_eq) only."
    out, _ = site
    shown = [p.name for p in sorted(out.glob('*.html')) if 'test_fail' in p.read_text()]
    assert not shown, f"pages showing test_fail cells: {shown}"

def test_every_page_loads_cleanly_and_documents_its_api(site, browser):
    out, url = site
    pages = sorted(p.name for p in out.glob('*.html') if p.stem not in ('404', 'search'))
    SHOTS.mkdir(exist_ok=True)
    problems, figures = [], 0
    for name in pages:
        page = browser.new_page(viewport={'width': 1200, 'height': 1400})
        errors = []
        page.on('console', lambda m, e=errors: e.append(m.text) if m.type == 'error' else None)
        page.on('pageerror', lambda exc, e=errors: e.append(str(exc)))
        page.on('requestfailed', lambda r, e=errors: e.append(f"request failed: {r.url}"))
        resp = page.goto(f'{url}/{name}', wait_until='load')
        if resp is None or resp.status != 200: problems.append(f"{name}: HTTP {resp and resp.status}")
        if errors: problems.append(f"{name}: console errors {errors[:3]}")
        text = page.inner_text('body')
        module = page_modules().get(Path(name).stem)
        if module:
            headings = {h.strip() for h in page.locator('h2, h3, h4').all_inner_texts()}
            missing = missing_api_entries(name, headings)
            problems += missing
            for sym, doc in api_symbols(module):
                if any(m.endswith('.' + sym) for m in missing): continue
                if not doc: problems.append(f"{name}: {sym} has no docstring")
                elif doc.split('`')[0][:40] not in text:
                    problems.append(f"{name}: docstring of {sym} not shown")
        problems += [f"{name}: {p}" for p in reader_problems(page, text, out, url)]
        imgs = page.locator('img')
        for i in range(imgs.count()):
            ok = imgs.nth(i).evaluate('img => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0')
            if not ok: problems.append(f"{name}: image {i} not visible")
            figures += ok
        page.screenshot(path=str(SHOTS / f'{Path(name).stem}.png'))
        page.close()
    print(f"checked {len(pages)} pages and {figures} figures in Chromium")
    assert not problems, '\n'.join(problems)
    assert figures >= 8, f"expected the notebooks' figures, found {figures}"
