import { requireFresh, requireSession } from "@tessera/react-router";
import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  useActionData,
  useLoaderData,
} from "react-router";

export function loader(args: LoaderFunctionArgs) {
  return { user: requireSession(args).userId };
}

export async function action(args: ActionFunctionArgs) {
  requireFresh(args);
  return { transferred: String((await args.request.formData()).get("amount")) };
}

export default function Account() {
  const { user } = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  return (
    <main>
      <p id="user">account of {user}</p>
      {done ? <p id="done">transferred {done.transferred}</p> : null}
    </main>
  );
}
