// Search highlights as text and marks, never as HTML. The search API sends each highlight as
// escaped text with <mark>…</mark> around the matches; the page builds text nodes and <mark>
// elements from it, so a catalog name such as `<img src=x onerror=…>` can only ever be text,
// whatever the server did or did not escape.

export interface Part {
  text: string;
  mark: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the few character references an escaped text can hold; anything else stays as it is. */
export function unescape(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Splits a highlight into runs of plain and marked text. Only `<mark>` and `</mark>` are
 *  markup; any other tag-like text is kept, literally, as text. */
export function highlightParts(html: string): Part[] {
  const parts: Part[] = [];
  let mark = false;
  for (const piece of html.split(/(<\/?mark>)/i)) {
    const tag = piece.toLowerCase();
    if (tag === '<mark>') mark = true;
    else if (tag === '</mark>') mark = false;
    else if (piece) {
      const text = unescape(piece);
      const last = parts[parts.length - 1];
      if (last && last.mark === mark) last.text += text;
      else parts.push({ text, mark });
    }
  }
  return parts;
}

/** A text cut to at most `max` characters at the end of a word, with an ellipsis when cut (a
 *  card or a search result shows the start of a long description, never half a word). */
export function snippet(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max);
  const space = cut.search(/\s\S*$/);
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,.;:،؛]+$/, '')}…`;
}

/** The same cut over a highlight's runs, keeping the marks. */
export function snippetParts(parts: Part[], max: number): Part[] {
  const whole = parts.map((p) => p.text).join('');
  const cut = snippet(whole, max);
  if (cut === whole.trim()) return parts;
  const keep = cut.length - 1; // without the ellipsis
  const out: Part[] = [];
  let used = 0;
  for (const p of parts) {
    if (used >= keep) break;
    const text = p.text.slice(0, keep - used);
    used += p.text.length;
    if (text) out.push({ text, mark: p.mark });
  }
  // Leading spaces of the first run were trimmed by `snippet`: keep the runs as they are.
  out.push({ text: '…', mark: false });
  return out;
}
