// The editor's own words (palette, context pad, properties panel) in the page's language:
// bpmn-js and its properties panel ask the `translate` service for every text they show.
import VI from './vi.json';

const DICTIONARIES = { vi: VI };

export function translator(locale) {
  const dictionary = DICTIONARIES[locale] || {};
  return function translate(template, replacements) {
    const text = dictionary[template] || template;
    return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
  };
}

export function translateModule(locale) {
  return { translate: ['value', translator(locale)] };
}
