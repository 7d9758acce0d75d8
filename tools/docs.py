"""Build the docs from real runs of the notebooks: `make docs`.

1. Each notebook's outputs come from a run of it as it is now. The three steps show their run in the compose stack,
   the outputs committed in nbs/ (`make outputs`; CI checks that each comes from its cell's current source), as
   GitHub shows them; the other notebooks, the run `make test` kept in _build/executed/, or a new run
   (tools/nbrun.py). Nothing is pasted and nothing is written back into nbs/.
2. nbdev processes the executed copies into _proc/ (`proc_nbs`); where Quarto is installed, Quarto renders
   _proc/ into the site, _docs/. Not `nbdev_docs`: it would also rewrite README.md from index.ipynb, and
   this repository's README is written by hand.
3. nbconvert renders _proc/ into an offline preview, _build/preview/, with the sidebar of nbs/sidebar.yml:
   the same pages, links and file names as the Quarto site, and no script from the network.
"""
import re, shutil, subprocess, sys
from pathlib import Path
import nbformat, yaml
from nbconvert import HTMLExporter
from nbdev.config import get_config
from nbdev.serve import proc_nbs
from traitlets.config import Config
import nbrun, outputs

def committed_stack_run(nb:Path)->bool:
    "Whether `nb` holds outputs of a stack run (`make outputs`), each from its cell's current source."
    cells = nbformat.read(nb, as_version=4).cells
    return any('ran' in c.metadata for c in cells if c.cell_type == 'code') and not outputs.problems(nb)

cfg = get_config()
PREVIEW = cfg.config_path/'_build'/'preview'
SITE_URL = f"{cfg.doc_host}{cfg.doc_baseurl}/"  # nbdev links names to the published site; the preview links locally

def notebooks()->list: return sorted(p for p in cfg.nbs_path.glob('*.ipynb') if not p.name.startswith('_'))

def run_notebooks(nbs:list):
    "Keep the steps' stack runs, committed in nbs/; run the other notebooks whose current version has no complete run yet."
    for nb in nbs:
        if nb.stem in nbrun.STEPS and committed_stack_run(nb):
            nbrun.keep_run(nb, nb, where=f'{outputs.STACK}: the outputs committed in nbs/')
            print(f"docs: {nb.name}: outputs of its run in the compose stack"); continue
        if nbrun.is_current(nb): print(f"docs: {nb.name}: outputs of its last complete run"); continue
        print(f"docs: {nb.name}: running it", flush=True)
        if subprocess.run([sys.executable, str(Path(nbrun.__file__)), str(nb)]).returncode:
            sys.exit(f"error: {nb.name} failed (see above): fix it and run make docs again")

def stage(nbs:list):
    "Put the pictures, the sidebar and `_quarto.yml` beside the executed copies, and nothing else."
    names = {nb.name for nb in nbs}
    for old in nbrun.EXECUTED.iterdir():
        if old.suffix == '.ipynb' and old.name not in names: old.unlink()
        elif old.suffix != '.ipynb': shutil.rmtree(old) if old.is_dir() else old.unlink()
    copy_files(cfg.nbs_path, nbrun.EXECUTED, skip=('.ipynb',))

def copy_files(src:Path, dst:Path, skip:tuple):
    "Copy every file under `src` whose suffix is not in `skip` to the same place under `dst` (following links)."
    for f in src.rglob('*'):
        if f.is_file() and f.suffix not in skip and '.ipynb_checkpoints' not in f.parts:
            target = dst/f.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)  # a copy of the target: the _quarto.yml link becomes the top-level file

def process()->Path:
    "nbdev's processing of the executed copies (not run again: `skip_procs = exec_show_docs`); the Quarto site where Quarto is."
    proc = proc_nbs(nbrun.EXECUTED, force=True)
    if not shutil.which('quarto'):
        print("docs: Quarto is not installed: nbdev's processing only, for the preview")
        return proc
    subprocess.run(['quarto', 'render', '--no-cache'], cwd=proc, check=True)
    site = cfg.config_path/cfg.doc_path.name
    shutil.rmtree(site, ignore_errors=True)
    shutil.move(proc/cfg.doc_path.name, site)
    print(f"docs: the site, rendered by Quarto: {site}/index.html")
    return proc

def frontmatter(nb)->dict:
    "The YAML of nbdev's frontmatter cell (title, description, output-file)."
    raw = next(c for c in nb.cells if c.cell_type == 'raw' and c.source.startswith('---'))
    return yaml.safe_load(raw.source.strip().strip('-'))

def inline_code(text:str)->str: return re.sub(r'`([^`]+)`', r'<code>\1</code>', text)

def site_nav(pages:dict)->list:
    "nbs/sidebar.yml as a flat list of section headers and pages."
    def walk(items):
        for item in items:
            if isinstance(item, dict):
                yield dict(section=item['section'])
                yield from walk(item['contents'])
            elif item in pages: yield dict(href=pages[item]['href'], title=inline_code(pages[item]['title']))
            else: sys.exit(f"error: nbs/sidebar.yml lists {item}, which is not a notebook in nbs/: remove it or fix its name")
    return list(walk(yaml.safe_load((cfg.nbs_path/'sidebar.yml').read_text())['website']['sidebar']['contents']))

_option = re.compile(r'^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def for_preview(nb, fm:dict):
    "Do what Quarto does with nbdev's output: title from the frontmatter, cell options, attribute syntax."
    def clean_md(text): return re.sub(r'^:::.*$', '', re.sub(r'\)\{[^}\n]*\}', ')', text), flags=re.M)
    description = inline_code(fm.get('description', ''))
    cells = [nbformat.v4.new_markdown_cell(f"# {fm['title']}" + (f"\n\n<p class='page-description'>{description}</p>" if description else ''))]
    for cell in nb.cells:
        if cell.cell_type == 'raw': continue
        if cell.cell_type == 'markdown':
            cell.source = clean_md(cell.source)
            cells.append(cell); continue
        lines = cell.source.split('\n')
        opts = dict(m.groups() for m in map(_option.match, lines) if m)
        if opts.get('include') == 'false': continue
        cell.source = '\n'.join(l for l in lines if not _option.match(l)).strip('\n')
        tags = cell.metadata.setdefault('tags', [])
        if opts.get('echo') == 'false' or not cell.source: tags.append('remove_input')
        if opts.get('output') == 'false': tags.append('remove_output')
        for out in cell.get('outputs', []):
            if 'text/markdown' in out.get('data', {}): out.data['text/markdown'] = clean_md(out.data['text/markdown'])
        if cell.source or cell.get('outputs'): cells.append(cell)
    nb.cells = cells

def local_links(html:str, hrefs:dict)->str:
    "Point links to notebooks and to the published site at the preview's pages; ids as Quarto makes them."
    def page(m):
        name, anchor = m.group(2), m.group(3) or ''
        return f'href="{hrefs.get(name, name)}{anchor}"'
    html = re.sub(r'href="(' + re.escape(SITE_URL) + r')?([\w.-]+\.(?:ipynb|html))(#[^"]*)?"', page, html)
    slug = lambda s: re.sub(r'[^a-z0-9_.-]', '', s.lower())
    html = re.sub(r'(<h[1-6] id=")([^"]+)"', lambda m: f'{m.group(1)}{slug(m.group(2))}"', html)
    return re.sub(r'(class="anchor-link" href="#)([^"]+)"', lambda m: f'{m.group(1)}{slug(m.group(2))}"', html)

def render_preview(proc:Path, nbs:list):
    "One HTML page per notebook, named as on the Quarto site, with the sidebar and previous/next links."
    shutil.rmtree(PREVIEW, ignore_errors=True)
    PREVIEW.mkdir(parents=True)
    processed = {nb.name: nbformat.read(proc/nb.name, as_version=4) for nb in nbs}
    pages = {}
    for name, nb in processed.items():
        fm = frontmatter(nb)
        pages[name] = dict(fm=fm, title=fm['title'], href=fm.get('output-file', Path(name).stem + '.html'))
    hrefs = {name: p['href'] for name, p in pages.items()}
    nav = site_nav(pages)
    order = [item for item in nav if 'href' in item]
    missing = [name for name, p in pages.items() if p['href'] not in {item['href'] for item in order}]
    if missing: sys.exit(f"error: add {', '.join(missing)} to nbs/sidebar.yml (every page is in the sidebar)")
    config = Config()
    config.TagRemovePreprocessor.update(enabled=True, remove_input_tags={'remove_input'}, remove_all_outputs_tags={'remove_output'})
    exporter = HTMLExporter(config=config, template_name='preview', extra_template_basedirs=[str(Path(__file__).parent)],
                            exclude_input_prompt=True, exclude_output_prompt=True)  # as on the Quarto site
    for name, nb in processed.items():
        page = pages[name]
        for_preview(nb, page['fm'])
        i = [item['href'] for item in order].index(page['href'])
        site = dict(title=cfg.title, nav=nav, current=page['href'],
                    previous=order[i-1] if i else None, next=order[i+1] if i+1 < len(order) else None)
        html, _ = exporter.from_notebook_node(nb, resources=dict(site=site, metadata=dict(name=page['title'].replace('`', ''))))
        (PREVIEW/page['href']).write_text(local_links(html, hrefs))
    copy_files(nbrun.EXECUTED, PREVIEW, skip=('.ipynb', '.yml'))  # the pictures
    print(f"docs: offline preview of {len(pages)} pages: {PREVIEW/'index.html'}")

if __name__ == '__main__':
    nbs = notebooks()
    with nbrun.leaving_services_as_found(): run_notebooks(nbs)  # a notebook run here starts the local services; stop them after
    stage(nbs)
    render_preview(process(), nbs)
