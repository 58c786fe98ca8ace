/**
 * Kestra's `renderTyped`: a template that is exactly one `{{ … }}` gives its expression's value
 * with its type (a boolean, a number, a map…); any other template gives its rendered text.
 */
import { parseJson } from './builtins/kestra/json.js';

const SINGLE_EXPRESSION = /^\{\{((?:(?!\{\{|\}\}).)*)\}\}$/s;

export async function renderTyped(template: string, render: (template: string) => Promise<string>): Promise<unknown> {
  const single = SINGLE_EXPRESSION.exec(template);
  // Through toJson and back: the value crosses the renderer as JSON, so its Java type survives.
  if (single === null) return render(template);
  let json: string;
  try {
    json = await render(`{{ (${single[1] as string}) | toJson }}`);
  } catch (e) {
    // The error should quote the template as written, not the wrapper: render that one to report it.
    await render(template);
    throw e;
  }
  return parseJson(json);
}
