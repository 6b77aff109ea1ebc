/** 中文 / EN: the choice is kept in the browser (localStorage) by the app. */
import { LANGS, type Lang } from '../i18n';

const NAMES: Record<Lang, string> = { 'zh-CN': '中文', en: 'EN' };

export function LangSwitch({ lang, setLang }: { lang: Lang; setLang: (l: Lang) => void }) {
  return (
    <div class="segmented lang" role="group" aria-label="Language / 语言">
      {LANGS.map((l) => (
        <button type="button" key={l} lang={l} class={l === lang ? 'selected' : ''} data-testid={`lang-${l}`} onClick={() => setLang(l)}>{NAMES[l]}</button>
      ))}
    </div>
  );
}
