// Keep a value in a first-party cookie: this browser's id, so that a plain link to the app (no ?b= in the
// address) finds the browser's saved runs again, or its nickname on the class board.  The server reads the
// cookie (st.context.cookies) when the next session starts.  The cookie goes to this app's server only.
(name, value, days) => {
  document.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=${days * 86400}; SameSite=Lax`;
}
