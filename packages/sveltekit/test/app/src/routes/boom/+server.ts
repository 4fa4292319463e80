export const GET = () => {
  throw new Error("an application bug");
};
