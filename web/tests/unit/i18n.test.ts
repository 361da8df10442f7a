import { describe, expect, it } from 'vitest';
import { dir, formatPrice, formatDuration, isLang, minorUnits, pick, t, toMajor, toMinor } from '../../src/i18n';
import { isOpen, localTime } from '../../src/lib/hours';

describe('i18n', () => {
  it('Arabic pages are right-to-left, English left-to-right', () => {
    expect(dir('ar')).toBe('rtl');
    expect(dir('en')).toBe('ltr');
    expect(isLang('ar')).toBe(true);
    expect(isLang('fr')).toBe(false);
  });

  it('prices are minor units formatted per locale', () => {
    expect(formatPrice('en', 'SAR', 1350)).toMatch(/13\.50/);
    const ar = formatPrice('ar', 'SAR', 1350);
    expect(ar).toContain('١٣٫٥٠');
    expect(ar).not.toContain('13.50');
  });

  it('minor units follow the currency: 1000 fils to the Bahraini dinar, 100 to the dirham', () => {
    expect(minorUnits('SAR')).toBe(2);
    expect(minorUnits('AED')).toBe(2);
    for (const c of ['BHD', 'KWD', 'OMR']) expect(minorUnits(c)).toBe(3);
    expect(formatPrice('en', 'BHD', 1250)).toMatch(/1\.250/);
    expect(formatPrice('en', 'AED', 1250)).toMatch(/12\.50/);
    expect(toMinor('KWD', '2.5')).toBe(2500);
    expect(toMinor('SAR', '2.5')).toBe(250);
    expect(toMajor('OMR', 2500)).toBe('2.500');
  });

  it('durations use the language digits', () => {
    expect(formatDuration('en', 125)).toBe('2:05');
    expect(formatDuration('ar', 125)).toBe('٢:٠٥');
  });

  it('names fall back to English when there is no Arabic', () => {
    expect(pick('ar', 'Tea', 'شاي')).toBe('شاي');
    expect(pick('ar', 'Tea', null)).toBe('Tea');
    expect(pick('en', 'Tea', 'شاي')).toBe('Tea');
    expect(t('ar').chooseExactly(1, 'الحجم')).toContain('الحجم');
  });
});

describe('opening hours', () => {
  const hours = { wed: [['08:00', '23:59']] as [string, string][], thu: [['22:00', '02:00']] as [string, string][] };
  it('reads the time in the branch zone', () => {
    // 2026-11-25 is a Wednesday; 10:00 UTC is 13:00 in Riyadh.
    expect(localTime(new Date('2026-11-25T10:00:00Z'), 'Asia/Riyadh')).toEqual({ day: 'wed', hm: '13:00' });
  });
  it('is open inside a span and closed outside it', () => {
    expect(isOpen(hours, 'Asia/Riyadh', new Date('2026-11-25T10:00:00Z'))).toBe(true);
    expect(isOpen(hours, 'Asia/Riyadh', new Date('2026-11-25T04:00:00Z'))).toBe(false);
    // A span past midnight: Thursday 23:30 local.
    expect(isOpen(hours, 'Asia/Riyadh', new Date('2026-11-26T20:30:00Z'))).toBe(true);
    expect(isOpen(null, 'Asia/Riyadh')).toBe(false);
  });
});

describe('tags', () => {
  it('names allergens in Arabic and keeps unknown ones', async () => {
    const { tag } = await import('../../src/i18n');
    expect(tag('ar', 'sesame')).toBe('سمسم');
    expect(tag('ar', 'lupin')).toBe('lupin');
    expect(tag('en', 'gluten-free')).toBe('gluten free');
  });
});
