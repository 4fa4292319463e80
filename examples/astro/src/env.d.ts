/// <reference types="astro/client" />
// App.Locals gets `session` and `tessera` from @tessera/astro itself.
import "@tessera/astro";
