/** "owner/name" → its two parts (GitHub repo names cannot contain "/"). */
export function splitRepo(fullName: string): { owner: string; repo: string } {
  const i = fullName.indexOf("/");
  return { owner: fullName.slice(0, i), repo: fullName.slice(i + 1) };
}
