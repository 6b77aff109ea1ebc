import { describe, expect, it } from 'vitest';
import { DICTIONARIES, initialLang, LANGS, translate } from './i18n';

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('console words', () => {
  it('has every key in both languages, none empty, with the same placeholders', () => {
    const [zh, en] = [DICTIONARIES['zh-CN'], DICTIONARIES.en];
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const lang of LANGS) {
      for (const [key, text] of Object.entries(DICTIONARIES[lang])) expect(text.trim(), `${lang} ${key}`).not.toBe('');
    }
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
  });

  it('is Chinese unless English was chosen', () => {
    expect(initialLang(null)).toBe('zh-CN');
    expect(initialLang('fr')).toBe('zh-CN');
    expect(initialLang('en')).toBe('en');
  });

  it('fills in placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'board.count', { n: 3 })).toBe('3 open orders');
    expect(translate('zh-CN', 'board.count', { n: 3 })).toBe('未结工单 3 件');
    expect(translate('en', 'board.count')).toBe('{n} open orders');
  });
});
