// The bearer token: from `?token=` in the URL (then removed from the address bar), else localStorage.
const key = "boxloop.token";
const annotatorKey = "boxloop.annotator";

export function loadToken(): string | null {
  const url = new URL(location.href);
  const annotator = url.searchParams.get("annotator");
  if (annotator) {
    saveAnnotator(annotator);
    url.searchParams.delete("annotator");
    history.replaceState(null, "", url);
  }
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
  localStorage.removeItem(annotatorKey);
}

/** Who we annotate as, when the API cannot tell us (no `GET /me`): from `?annotator=` or the sign-in form. */
export function loadAnnotator(): string | null {
  return localStorage.getItem(annotatorKey);
}

export function saveAnnotator(id: string): void {
  if (id.trim()) localStorage.setItem(annotatorKey, id.trim());
}
