// What a guest reads: refusals as sentences in their language, counts with the right plural
// form, and a cart line's options and quantity as the API needs them back.
import { describe, expect, it } from 'vitest';
import { ApiError, type CartLine } from '../../src/lib/api';
import { problemMessage } from '../../src/lib/problems';
import { t } from '../../src/i18n';
import { lineOptions, lineRequest } from '../../src/stores/cart';

const refused = (code: string, status = 401) => new ApiError(status, code, `detail of ${code}`, undefined);

describe('problems', () => {
  it('never shows a raw code or the server’s detail', () => {
    for (const code of ['invalid_credentials', 'invalid_pin', 'missing_token', 'cart_closed', 'some_new_code']) {
      for (const lang of ['en', 'ar'] as const) {
        const m = problemMessage(lang, refused(code, 409));
        expect(m).not.toContain(code);
        expect(m).not.toContain('detail of');
        expect(m).toMatch(/[.!؟]$/);
      }
    }
    expect(problemMessage('en', refused('invalid_credentials'))).toBe('That email and password do not match an account. Check them and try again.');
    expect(problemMessage('ar', refused('invalid_credentials'))).toBe('البريد الإلكتروني وكلمة المرور لا يطابقان أي حساب. تحقق منهما وحاول مجددًا.');
    expect(problemMessage('en', refused('cart_closed', 409))).toBe('This order has been sent already. Reload the page to start a new one.');
  });

  it('falls back on the status, and on the network for anything that is not a refusal', () => {
    expect(problemMessage('en', refused('internal', 500))).toBe('Something went wrong on our side. Try again in a moment.');
    expect(problemMessage('en', refused('whatever', 404))).toBe('We could not find that. It may have been removed.');
    expect(problemMessage('ar', new TypeError('Failed to fetch'))).toBe('تعذّر الوصول إلى المطعم. تحقق من اتصالك وحاول مجددًا.');
  });
});

describe('plurals', () => {
  it('counts in English', () => {
    expect(t('en').results(1)).toBe('1 result');
    expect(t('en').results(6)).toBe('6 results');
    expect(t('en').items(1)).toBe('1 item');
    expect(t('en').items(12)).toBe('12 items');
  });

  it('counts in Arabic with each of its forms', () => {
    const ar = t('ar');
    expect(ar.results(1)).toBe('نتيجة واحدة');
    expect(ar.results(2)).toBe('نتيجتان');
    expect(ar.results(6)).toBe('٦ نتائج');
    expect(ar.results(11)).toBe('١١ نتيجة');
    expect(ar.results(100)).toBe('١٠٠ نتيجة');
    expect(ar.items(3)).toBe('٣ أصناف');
    expect(ar.items(11)).toBe('١١ صنفًا');
  });
});

describe('cart lines', () => {
  const line = {
    id: 'l1', productId: 'p1', productKind: 'item', name: 'Karak Tea', quantity: 2, unitPrice: 600,
    notes: 'less sugar', addedBy: { id: 'u', name: 'A' },
    selection: { options: ['o1'], slots: [] },
    details: { options: [{ id: 'o1', name: 'Large', nameAr: 'كبير', priceDelta: 200 }], slots: [] },
  } as unknown as CartLine;

  it('names the chosen options in the page’s language', () => {
    expect(lineOptions('en', line)).toEqual(['Large']);
    expect(lineOptions('ar', line)).toEqual(['كبير']);
  });

  it('sends a line back as it was ordered: item, options, quantity and note', () => {
    expect(lineRequest(line)).toEqual({ productId: 'p1', options: ['o1'], quantity: 2, notes: 'less sugar' });
  });
});

describe('snippets', async () => {
  const { snippet, snippetParts, highlightParts } = await import('../../src/lib/highlight');
  it('cuts at the end of a word, with an ellipsis, and leaves a short text alone', () => {
    expect(snippet('Eggs poached in a spiced tomato and pepper sauce, served with warm bread.', 40)).toBe('Eggs poached in a spiced tomato and…');
    expect(snippet('بيض مطهو في صلصة الطماطم والفلفل المتبلة، يقدم مع خبز ساخن.', 30)).toBe('بيض مطهو في صلصة الطماطم…');
    expect(snippet('Short.', 40)).toBe('Short.');
  });

  it('keeps the marks of a highlight it cuts', () => {
    const parts = snippetParts(highlightParts('Grilled <mark>chicken</mark> with garlic sauce and pickles in bread'), 30);
    expect(parts.map((p) => p.text).join('')).toBe('Grilled chicken with garlic…');
    expect(parts.filter((p) => p.mark).map((p) => p.text)).toEqual(['chicken']);
  });
});
