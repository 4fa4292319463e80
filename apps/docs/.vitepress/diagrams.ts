/**
 * ```mermaid fences rendered to inline SVG at build time, by beautiful-mermaid (pure TypeScript,
 * no browser, no network). The diagrams' colours are CSS variables of the theme (custom.css), so
 * they follow light and dark mode; the font import the renderer adds is dropped (no request
 * leaves the site).
 */
import { renderMermaidSVG } from "beautiful-mermaid";
import type { MarkdownRenderer } from "vitepress";

export function renderDiagram(source: string): string {
  const svg = renderMermaidSVG(source, { transparent: true, bg: "var(--bg)", fg: "var(--fg)" });
  return svg
    .replace(/<style>[\s\S]*?<\/style>\n?/, "")
    .replace(/ style="--bg:var\(--bg\);--fg:var\(--fg\)"/, "")
    .replace(/ width="[\d.]+" height="[\d.]+"/, "");
}

export function diagrams(md: MarkdownRenderer): void {
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, index, options, env, self) => {
    const token = tokens[index]!;
    if (token.info.trim() !== "mermaid") return fence(tokens, index, options, env, self);
    // v-pre: Vue must not read `{{ }}` in labels as template expressions.
    return `<figure class="diagram" v-pre>${renderDiagram(token.content)}</figure>\n`;
  };
}
