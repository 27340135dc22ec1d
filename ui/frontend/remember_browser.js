// Keep this browser's id in a first-party cookie, so that a plain link to the app (no ?b= in the address)
// finds the browser's saved runs again: the server reads the cookie (st.context.cookies) when the next
// session starts.  The id is a random hex string the server chose; the cookie goes to this app's server only.
(name, id, days) => {
  document.cookie = `${name}=${id}; path=/; max-age=${days * 86400}; SameSite=Lax`;
}
