// App.Locals gets `session` and `tessera` from @tessera/sveltekit.
import "@tessera/sveltekit";
