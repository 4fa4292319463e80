/**
 * Tables on a phone: every body cell gets its column's header as `data-label`, and a table of
 * more than three columns the class `stack`, which custom.css lays out below 640 px as one card
 * per row ("header: value" lines) instead of squeezing eight columns into 342 px.
 */
import type { MarkdownRenderer } from "vitepress";

export function tables(md: MarkdownRenderer): void {
  // VitePress renders `<table tabindex="0">` and drops a table's attributes: keep both.
  md.renderer.rules.table_open = (tokens, index, _options, _env, self) =>
    `<table tabindex="0"${self.renderAttrs(tokens[index]!)}>\n`;
  md.core.ruler.push("table-labels", (state) => {
    const tokens = state.tokens;
    let headers: string[] = [];
    let column = 0;
    let inHead = false;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.type === "table_open") {
        headers = [];
        const close = tokens.findIndex((t, j) => j > i && t.type === "thead_close");
        for (let j = i; j < close; j++) {
          if (tokens[j]!.type === "th_open") {
            headers.push(tokens[j + 1]!.content.replace(/[`*_]/g, "").trim());
          }
        }
        if (headers.length > 3) token.attrJoin("class", "stack");
      } else if (token.type === "thead_open") inHead = true;
      else if (token.type === "thead_close") inHead = false;
      else if (token.type === "tr_open") column = 0;
      else if (token.type === "td_open" && !inHead) {
        const label = headers[column++];
        if (label) token.attrSet("data-label", label);
      }
    }
  });
}
