"""Open every page of the docs preview in headless Chromium and check what a reader sees: `make check-docs`.

Each page loads with its title, the site's sidebar and no script or loading error; every link inside
the site leads to a page of the preview and, with a #fragment, to an element of that page; nothing is
requested from outside the preview folder; every image is drawn, and each page has at least the plots
and tables its notebook makes; steps 2 and 3 show their run in the compose stack. Screenshots of the home
page and the three steps are saved in _build/preview/screenshots/ (the top of the page, and the whole page).
One line per problem, exit 1.
"""
import asyncio, base64, json, shutil, subprocess, sys, tempfile, time
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import urlopen
from tornado.websocket import websocket_connect

PREVIEW = Path(__file__).resolve().parent.parent/'_build'/'preview'
SHOTS = PREVIEW/'screenshots'
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync',
                  '--host-resolver-rules=MAP * ~NOTFOUND',  # no name resolves: nothing can leave this machine
                  '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', '--remote-allow-origins=http://127.0.0.1']
SCREENSHOTS = {'index.html': 'home', 'image.html': 'step1-image', 'cluster.html': 'step2-cluster', 'project.html': 'step3-project'}
# What each page must show, at least: plots drawn by matplotlib, pictures, tables (markdown or DataFrames), API entries.
# The steps show their run in the compose stack, as GitHub does: a value printed there names its master, 'spark://spark-master:7077'.
EXPECTED = {'index.html': dict(pictures=1), 'project.html': dict(plots=2, tables=3, stack_outputs=1), 'benchmarks.html': dict(plots=3, tables=5),
            'cluster.html': dict(tables=1, stack_outputs=1), 'reliability.html': dict(tables=2)}

PAGE_FACTS = """(() => {
  const imgs = [...document.images];
  return {
    title: document.title, h1: ((document.querySelector('main h1') || {}).textContent || '').replace('¶', ''),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    links: [...document.querySelectorAll('main a[href], nav a[href]')].map(a => a.getAttribute('href')),
    nav: document.querySelectorAll('nav.site-nav a').length,
    broken_images: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => (i.getAttribute('src') || '').slice(0, 60)),
    plots: imgs.filter(i => i.closest('.jp-OutputArea-output') && i.src.startsWith('data:image/png')).length,
    pictures: imgs.filter(i => !i.closest('.jp-OutputArea-output')).length,
    tables: document.querySelectorAll('main table').length,
    stack_outputs: [...document.querySelectorAll('.jp-OutputArea-output')].filter(o => o.innerText.includes("'spark://spark-master:7077'")).length,
    entries: document.querySelectorAll('main h3').length,
    height: document.documentElement.scrollHeight,
  };
})()"""

class Browser:
    "One headless Chromium, driven over the DevTools protocol on 127.0.0.1."
    async def start(self):
        if not shutil.which('chromium'): sys.exit("error: no chromium: install it with `apt-get install chromium`")
        self.profile = tempfile.mkdtemp(prefix='sparkcluster-chromium-')
        self.proc = subprocess.Popen(['chromium', *CHROMIUM_FLAGS, f'--user-data-dir={self.profile}', 'about:blank'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file, deadline = Path(self.profile)/'DevToolsActivePort', time.time() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if time.time() > deadline or self.proc.poll() is not None: sys.exit("error: chromium did not start: install it with `apt-get install chromium`")
            await asyncio.sleep(0.2)
        port = port_file.read_text().split()[0]
        page = next(t for t in json.load(urlopen(f'http://127.0.0.1:{port}/json/list')) if t['type'] == 'page')
        self.ws = await websocket_connect(page['webSocketDebuggerUrl'], max_message_size=512 * 1024 * 1024)
        self.next_id, self.events = 0, []
        for domain in ('Page', 'Runtime', 'Network', 'Log'): await self.send(f'{domain}.enable')
        await self.send('Emulation.setDeviceMetricsOverride', width=1280, height=900, deviceScaleFactor=1, mobile=False)

    async def send(self, method, **params):
        "Send one command and return its result; events that arrive meanwhile are kept in `events`."
        self.next_id += 1
        await self.ws.write_message(json.dumps(dict(id=self.next_id, method=method, params=params)))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.read_message(), 60))
            if msg.get('id') == self.next_id:
                if 'error' in msg: raise RuntimeError(f"{method}: {msg['error']['message']}")
                return msg['result']
            self.events.append(msg)

    async def open(self, url):
        "Load `url` and return what went wrong while loading: script errors, console errors, requests outside the preview."
        self.events = []
        await self.send('Page.navigate', url=url)
        deadline = time.time() + 60
        while not any(e.get('method') == 'Page.loadEventFired' for e in self.events):
            if time.time() > deadline: return ['did not finish loading in 60 s']
            self.events.append(json.loads(await asyncio.wait_for(self.ws.read_message(), 60)))
        problems = []
        for e in self.events:
            m, p = e.get('method'), e.get('params', {})
            if m == 'Runtime.exceptionThrown': problems.append(f"script error: {(p['exceptionDetails'].get('exception') or {}).get('description') or p['exceptionDetails'].get('text')}")
            elif m == 'Runtime.consoleAPICalled' and p.get('type') == 'error': problems.append(f"console error: {p['args'][0].get('value')}")
            elif m == 'Log.entryAdded' and p['entry']['level'] == 'error': problems.append(f"error: {p['entry']['text']}")
            elif m == 'Network.requestWillBeSent' and urlsplit(p['request']['url']).scheme not in ('file', 'data'):
                problems.append(f"requests {p['request']['url'][:80]} from outside the preview")
        return problems

    async def facts(self): return (await self.send('Runtime.evaluate', expression=PAGE_FACTS, returnByValue=True))['result']['value']

    async def screenshot(self, path:Path, height:int|None=None):
        "The top of the page (900 px), or the whole page up to `height` px."
        clip = dict(x=0, y=0, width=1280, height=height or 900, scale=1)
        png = await self.send('Page.captureScreenshot', format='png', captureBeyondViewport=bool(height), clip=clip)
        path.write_bytes(base64.b64decode(png['data']))

    def stop(self):
        if not hasattr(self, 'proc'): return
        self.proc.terminate(); self.proc.wait(30)
        shutil.rmtree(self.profile, ignore_errors=True)

def check_links(page:str, facts:dict, pages:dict)->list:
    "Links inside the site that lead nowhere: a missing page, or a #fragment that is no id of its page."
    problems = []
    for href in facts['links']:
        parts = urlsplit(href)
        if parts.scheme in ('http', 'https', 'mailto'): continue  # outside the site: not followed, never requested
        target = unquote(parts.path) or page
        if target not in pages: problems.append(f"link to {href}: no such page"); continue
        if parts.fragment and unquote(parts.fragment) not in pages[target]['ids']: problems.append(f"link to {href}: no #{parts.fragment} on {target}")
    return problems

async def check(preview:Path)->list:
    "Every problem on every page of `preview`, as `page: problem` lines."
    pages, problems = {}, []
    SHOTS.mkdir(exist_ok=True)
    browser = Browser()
    try:
        await browser.start()
        for path in sorted(preview.glob('*.html')):
            load_problems = await browser.open(path.as_uri())
            facts = pages[path.name] = await browser.facts()
            problems += [f"{path.name}: {p}" for p in load_problems]
            if not facts['h1'].strip() or not facts['title'].strip(): problems.append(f"{path.name}: no title")
            problems += [f"{path.name}: image not drawn: {src}" for src in facts['broken_images']]
            for what, least in EXPECTED.get(path.name, {}).items():
                if facts[what] < least: problems.append(f"{path.name}: {facts[what]} {what}, expected at least {least}")
            if path.name in SCREENSHOTS:
                await browser.screenshot(SHOTS/f"{SCREENSHOTS[path.name]}.png")
                await browser.screenshot(SHOTS/f"{SCREENSHOTS[path.name]}-full.png", height=min(facts['height'], 16000))
            print(f"  {path.name:24} {facts['h1'][:40]:40} {facts['plots']} plots, {facts['tables']} tables, "
                  f"{len(facts['links'])} links, {len(load_problems)} load problems")
    finally: browser.stop()
    for name, facts in pages.items():
        problems += [f"{name}: {p}" for p in check_links(name, facts, pages)]
        if facts['nav'] != len(pages): problems.append(f"{name}: the sidebar lists {facts['nav']} pages, the preview has {len(pages)}")
    missing = set(SCREENSHOTS) - set(pages)
    problems += [f"{name}: missing page" for name in sorted(missing)]
    return problems

if __name__ == '__main__':
    if not (PREVIEW/'index.html').exists(): sys.exit(f"error: no preview in {PREVIEW}: run make docs first")
    print(f"checking {PREVIEW} in headless Chromium")
    problems = asyncio.run(check(PREVIEW))
    for p in problems: print(f"error: {p}", file=sys.stderr)
    print(f"{len(list(PREVIEW.glob('*.html')))} pages, {len(problems)} problems; screenshots in {SHOTS}")
    sys.exit(1 if problems else 0)
