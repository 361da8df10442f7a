// No HTML sink in the app takes anything but a constant: user and catalog text reaches the page
// as text only. The check reads every source file under src/ and fails on innerHTML,
// outerHTML, dangerouslySetInnerHTML, set:html, insertAdjacentHTML, document.write,
// createContextualFragment or srcdoc with a value that is not a plain string literal.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { highlightParts } from '../../src/lib/highlight';

const SRC = join(import.meta.dirname, '../../src');
const SINK = /\b(innerHTML|outerHTML|dangerouslySetInnerHTML|set:html|srcdoc|insertAdjacentHTML|createContextualFragment|document\.write(?:ln)?)\b/g;
/** A string literal (no template substitution), alone. */
const LITERAL = String.raw`(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\x60[^\x60$]*\x60)`;
const CONSTANT_VALUE = new RegExp(String.raw`^\s*[=:]\s*(?:\{\s*)?(?:\{\s*__html\s*:\s*)?${LITERAL}\s*(?:\}\s*)?(?:\}|[;,\s/>]|$)`);
const CONSTANT_CALL = new RegExp(String.raw`^\s*\(\s*(?:${LITERAL}\s*,\s*)*${LITERAL}\s*\)`);

export interface Finding {
  file: string;
  line: number;
  text: string;
}

/** Every sink in `source` whose input is not a constant. */
export function unsafeSinks(file: string, source: string): Finding[] {
  const found: Finding[] = [];
  for (const m of source.matchAll(SINK)) {
    const rest = source.slice(m.index! + m[0].length);
    const call = /^(insertAdjacentHTML|createContextualFragment|document\.write)/.test(m[1]!);
    const constant = call ? CONSTANT_CALL.test(rest) : CONSTANT_VALUE.test(rest);
    if (!constant) {
      const line = source.slice(0, m.index).split('\n').length;
      found.push({ file, line, text: source.split('\n')[line - 1]!.trim() });
    }
  }
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx|js|mjs|jsx|astro)$/.test(name) ? [path] : [];
  });
}

describe('HTML sinks', () => {
  it('the checker catches a sink fed with data and lets constants through', () => {
    expect(unsafeSinks('a.tsx', '<strong innerHTML={r.highlight.name} />')).toHaveLength(1);
    expect(unsafeSinks('a.tsx', '<div dangerouslySetInnerHTML={{ __html: item.description }} />')).toHaveLength(1);
    expect(unsafeSinks('a.astro', '<p set:html={name} />')).toHaveLength(1);
    expect(unsafeSinks('a.ts', 'el.innerHTML = `<b>${name}</b>`;')).toHaveLength(1);
    expect(unsafeSinks('a.ts', "el.insertAdjacentHTML('beforeend', html);")).toHaveLength(1);
    expect(unsafeSinks('a.ts', 'el.innerHTML = "";')).toHaveLength(0);
    expect(unsafeSinks('a.tsx', "<i dangerouslySetInnerHTML={{ __html: '&nbsp;' }} />")).toHaveLength(0);
    expect(unsafeSinks('a.ts', "el.insertAdjacentHTML('beforeend', '<hr>');")).toHaveLength(0);
  });

  it('no source file feeds one with anything but a constant', () => {
    const findings = sources(SRC).flatMap((f) => unsafeSinks(relative(SRC, f), readFileSync(f, 'utf8')));
    expect(findings).toEqual([]);
  });
});

describe('search highlight', () => {
  it('a catalog name that looks like markup stays text', () => {
    // What the search API sends for an item named `<img src=x onerror=alert(1)>` searched by "img".
    const parts = highlightParts('&lt;<mark>img</mark> src=x onerror=alert(1)&gt;');
    expect(parts).toEqual([
      { text: '<', mark: false },
      { text: 'img', mark: true },
      { text: ' src=x onerror=alert(1)>', mark: false },
    ]);
    // Unescaped markup (a server that forgot) is text as well; only <mark> is understood.
    expect(highlightParts('<img src=x onerror=alert(1)><mark>Kar</mark>ak')).toEqual([
      { text: '<img src=x onerror=alert(1)>', mark: false },
      { text: 'Kar', mark: true },
      { text: 'ak', mark: false },
    ]);
  });

  it('decodes character references and keeps unknown ones', () => {
    expect(highlightParts('Fish &amp; <mark>chips</mark> &quot;XL&quot; &#39;&#x41;&nope;')).toEqual([
      { text: 'Fish & ', mark: false },
      { text: 'chips', mark: true },
      { text: ' "XL" \'A&nope;', mark: false },
    ]);
    expect(highlightParts('<mark>شاورما</mark> دجاج')).toEqual([
      { text: 'شاورما', mark: true },
      { text: ' دجاج', mark: false },
    ]);
  });
});
