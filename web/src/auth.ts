// The bearer token: from `?token=` in the URL (then removed from the address bar), else localStorage.
const key = "boxloop.token";

export function loadToken(): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    saveToken(fromUrl);
    url.searchParams.delete("token");
    history.replaceState(null, "", url);
    return fromUrl;
  }
  return localStorage.getItem(key);
}

export function saveToken(token: string): void {
  localStorage.setItem(key, token.trim());
}

export function forgetToken(): void {
  localStorage.removeItem(key);
}
