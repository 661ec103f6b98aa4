/**
 * Sentences with a count, chosen by the language's plural rules (`Intl.PluralRules`): in French 0
 * and 1 take the singular ("0 personne attend"), in English only 1 does ("0 people are waiting").
 */

/**
 * One sentence per plural category of the language (`other` always; `one`, `two`, `few`, `many`
 * where the language has them), and `=0` for a sentence of its own when the count is exactly 0
 * (as in ICU messages). `#` stands for the count, written the language's way ("1 000").
 */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule | '=0', string>> & { other: string };

/** The sentence for a count, in `locale`. */
export function plural(locale: string, forms: PluralForms): (count: number) => string {
  const rules = new Intl.PluralRules(locale);
  const numbers = new Intl.NumberFormat(locale);
  return (count) => {
    const form = (count === 0 ? forms['=0'] : undefined) ?? forms[rules.select(count)] ?? forms.other;
    return form.replaceAll('#', numbers.format(count));
  };
}
