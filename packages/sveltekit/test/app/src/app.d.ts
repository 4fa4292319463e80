// App.Locals gets `session` and `tessera` from @tessera/sveltekit itself.
import "@tessera/sveltekit";

declare global {
  namespace App {
    interface Error {
      message: string;
      appError?: string;
    }
  }
}
