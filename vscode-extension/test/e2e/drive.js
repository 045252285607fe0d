// Drives code-server in headless Debian Chromium with playwright-core. The tests run inside the
// extension host (suite.js, via --vscode-option enable-smoke-test-driver and the `payload` URL
// parameter) and ask this driver for browser-side work by logging a line
//   @@PW {"id": "...", "actions": [...]}
// The driver performs the actions (screenshots, DOM probes of the webview / Problems panel, real
// clicks in the graph webview) and writes the answer to <artifacts>/.pw/<id>.json.
'use strict';
const { chromium } = require(process.env.PW_CORE || 'playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [base, folder, tests, devPath, artifacts] = process.argv.slice(2);
const TOTAL_MS = Number(process.env.GLACIER_E2E_TIMEOUT_MS || 150000);
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (...a) => console.log(`[drive +${since()}]`, ...a);

async function graphFrame(page, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    for (const f of page.frames()) {
      try {
        if (await f.$('#graph')) return f;
      } catch { /* frame navigating */ }
    }
    if (Date.now() > end) return undefined;
    await page.waitForTimeout(150);
  }
}

async function probeWebview(page, want) {
  const frame = await graphFrame(page);
  if (!frame) return { found: false };
  if (want === 'graph') {
    await frame.waitForSelector('#graph:not([hidden]) svg g[id^="task:"]', { timeout: 15000 }).catch(() => {});
  } else if (want === 'message') {
    await frame.waitForSelector('#message:not([hidden])', { timeout: 15000 }).catch(() => {});
  }
  return frame.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const style = (el, p) => (el ? getComputedStyle(el).getPropertyValue(p) : null);
    const firstTaskShape = q('#graph svg g[id^="task:"] :is(polygon,ellipse,path)');
    return {
      found: true,
      bodyClass: document.body.className,
      state: document.body.dataset.state || null,
      graphVisible: !q('#graph').hidden,
      messageVisible: !q('#message').hidden,
      messageText: q('#message').textContent.trim(),
      title: q('#title').textContent,
      taskIds: Array.from(document.querySelectorAll('#graph svg g[id^="task:"]')).map((g) => g.id),
      datasetIds: Array.from(document.querySelectorAll('#graph svg g[id^="dataset:"]')).map((g) => g.id),
      textFill: style(q('#graph svg g[id^="task:"] text'), 'fill'),
      taskFill: style(firstTaskShape, 'fill'),
      background: style(document.body, 'background-color'),
      svgFilter: style(q('#graph svg'), 'filter'),
    };
  });
}

async function perform(page, action) {
  switch (action.type) {
    case 'screenshot': {
      await page.waitForTimeout(action.settleMs ?? 400);
      const file = path.join(artifacts, action.name);
      await page.screenshot({ path: file });
      return { file };
    }
    case 'probeWebview':
      return probeWebview(page, action.want);
    case 'clickNode': {
      const frame = await graphFrame(page);
      if (!frame) return { clicked: false, reason: 'no graph webview frame' };
      const loc = frame.locator(`g[id="${action.id}"]`);
      await loc.waitFor({ timeout: 10000 });
      await loc.click({ timeout: 10000 });
      return { clicked: true };
    }
    case 'text': {
      const el = await page.waitForSelector(action.selector, { timeout: action.timeout ?? 10000 }).catch(() => null);
      return { text: el ? (await el.textContent()).replace(/\s+/g, ' ').trim() : null };
    }
    case 'texts': {
      await page.waitForSelector(action.selector, { timeout: action.timeout ?? 10000 }).catch(() => null);
      const texts = await page.$$eval(action.selector, (els) => els.map((e) => e.textContent.replace(/\s+/g, ' ').trim()));
      return { texts };
    }
    case 'press':
      await page.keyboard.press(action.key);
      return {};
    case 'wait':
      await page.waitForTimeout(action.ms);
      return {};
    default:
      return { error: `unknown action ${action.type}` };
  }
}

(async () => {
  const host = new URL(base).host; // the remote authority is host:port
  const payload = [['extensionTestsPath', `vscode-remote://${host}${tests}`], ['skipWelcome', 'true']];
  if (devPath) payload.push(['extensionDevelopmentPath', `vscode-remote://${host}${devPath}`]);
  const url = `${base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'chrome-udd-'));
  fs.mkdirSync(path.join(artifacts, '.pw'), { recursive: true });
  const ctx = await chromium.launchPersistentContext(udd, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  let code = 'timeout';
  let page;
  try {
    page = ctx.pages()[0] || (await ctx.newPage());
    let queue = Promise.resolve();
    let suiteDone = () => {};
    const exited = new Promise((resolve) => {
      page.exposeFunction('codeAutomationExit', (c) => resolve(c));
      // VS Code reports the extension host's exit some seconds after the suite ends; if that takes
      // too long, the suite's own result file decides.
      suiteDone = () => setTimeout(() => {
        let result;
        try {
          result = JSON.parse(fs.readFileSync(path.join(artifacts, 'e2e-result.json'), 'utf8'));
        } catch { /* no result */ }
        log('extension host exit not reported within 20 s; using the suite result');
        resolve(result ? (result.failed === 0 ? 0 : 1) : 'no result');
      }, 20000).unref();
    });
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = args.map(String).join(' ');
      const m = /@@PW (\{.*\})\s*$/s.exec(text);
      if (m) {
        const req = JSON.parse(m[1]);
        queue = queue.then(async () => {
          const results = [];
          for (const a of req.actions) {
            try {
              results.push(await perform(page, a));
            } catch (e) {
              results.push({ error: String(e && e.message || e) });
            }
          }
          const out = path.join(artifacts, '.pw', `${req.id}.json`);
          fs.writeFileSync(`${out}.tmp`, JSON.stringify(results));
          fs.renameSync(`${out}.tmp`, out);
        });
        return;
      }
      fs.appendFileSync(path.join(artifacts, 'exthost-console.log'), `[${type}] ${text}\n`);
      if (/\[e2e\]/.test(text) || (type === 'error' && /glacier/i.test(text))) console.log(`[exthost:${type} +${since()}] ${text}`);
      if (/\[e2e\].* e2e: \d+ passed, \d+ failed/.test(text)) suiteDone();
    });
    page.on('pageerror', (e) => log('page error:', e.message));
    log('opening', base);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
    const remaining = Math.max(10000, TOTAL_MS - (Date.now() - t0));
    code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), remaining))]);
    if (code === 'timeout') {
      await page.screenshot({ path: path.join(artifacts, 'timeout.png') }).catch(() => {});
    }
  } finally {
    await ctx.close().catch(() => {});
    fs.rmSync(udd, { recursive: true, force: true });
  }
  log('extension host exit code:', code);
  process.exit(code === 0 ? 0 : 1);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
