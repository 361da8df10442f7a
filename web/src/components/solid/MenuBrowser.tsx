/** @jsxImportSource solid-js */
// Search as you type over the branch's menu (the catalog search API), in English or Arabic.
// Results carry the server's <mark> highlighting, rendered as text nodes and <mark> elements
// (lib/highlight.ts), never parsed as HTML.
// On an ordering page each result has an "Add" button that hands the item to the Cart island;
// on the browse menu, a link to the order page that opens the item's options there.
import { createSignal, createEffect, onCleanup, onMount, For, Show } from 'solid-js';
import { picked } from '../../stores/cart';
import { t, formatPrice, type Lang } from '../../i18n';
import type { SearchResult } from '../../lib/api';
import { highlightParts, snippetParts } from '../../lib/highlight';

/** A highlight as text and <mark> elements. */
function Highlighted(props: { html: string; max?: number }) {
  const parts = () => (props.max ? snippetParts(highlightParts(props.html), props.max) : highlightParts(props.html));
  return <For each={parts()}>{(p) => (p.mark ? <mark>{p.text}</mark> : p.text)}</For>;
}

interface Props {
  lang: Lang;
  branchId: string;
  currency: string;
  orderable: boolean;
}

export default function MenuBrowser(props: Props) {
  const tr = t(props.lang);
  const [query, setQuery] = createSignal('');
  const [results, setResults] = createSignal<SearchResult[] | null>(null);
  const [busy, setBusy] = createSignal(false);
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let input!: HTMLInputElement;
  // The island hydrates when the browser is idle; what the guest typed before that counts.
  onMount(() => {
    if (input.value) setQuery(input.value);
  });

  createEffect(() => {
    const q = query().trim();
    clearTimeout(timer);
    controller?.abort();
    if (!q) {
      setResults(null);
      setBusy(false);
      return;
    }
    timer = setTimeout(async () => {
      controller = new AbortController();
      setBusy(true);
      try {
        const params = new URLSearchParams({ q, lang: props.lang, limit: '20' });
        const res = await fetch(`/api/branches/${props.branchId}/menu/search?${params}`, { signal: controller.signal });
        setResults(res.ok ? await res.json() : []);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setResults([]);
      } finally {
        setBusy(false);
      }
    }, 120);
  });
  onCleanup(() => {
    clearTimeout(timer);
    controller?.abort();
  });

  return (
    <search class="menu-browser" style="display:block">
      <label for="menu-search">{tr.search}</label>
      <input
        id="menu-search"
        ref={input}
        type="search"
        autocomplete="off"
        placeholder={tr.searchPlaceholder}
        onInput={(e) => setQuery(e.currentTarget.value)}
      />
      <p class="muted" role="status" aria-live="polite" style="margin-block:.25rem;min-block-size:1.5em">
        {busy() ? tr.searching : results() ? (results()!.length ? tr.results(results()!.length) : tr.noResults) : ''}
      </p>
      <Show when={results() && results()!.length}>
        <ul class="grid" style="list-style:none;padding:0" data-testid="search-results">
          <For each={results()!}>
            {(r) => (
              <li class="card item" data-result={r.id}>
                <div class="row">
                  <strong>
                    <Highlighted html={props.lang === 'ar' && r.highlight.nameAr ? r.highlight.nameAr : r.highlight.name} />
                  </strong>
                  <span class="price">{formatPrice(props.lang, props.currency, r.price)}</span>
                </div>
                <Show when={r.highlight.description}>
                  <span class="muted">
                    <Highlighted html={r.highlight.description!} max={110} />
                  </span>
                </Show>
                <Show when={!props.orderable}>
                  <a class="btn secondary" href={`/${props.lang}/order?branch=${props.branchId}&add=${r.id}`}
                    aria-label={`${tr.add}: ${props.lang === 'ar' && r.nameAr ? r.nameAr : r.name}`}>
                    {tr.add}
                  </a>
                </Show>
                <Show when={props.orderable}>
                  <button
                    type="button"
                    class="btn secondary"
                    aria-label={`${tr.add}: ${props.lang === 'ar' && r.nameAr ? r.nameAr : r.name}`}
                    onClick={() => picked.set(r.id)}
                  >
                    {tr.add}
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </search>
  );
}
