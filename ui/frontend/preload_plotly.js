// Streamlit loads its Plotly bundle (4.7 MB) only when a page first shows a chart, which then waits
// 1.5-2 s on a small machine.  The home page has no chart: it fetches and runs the bundle while the
// person reads, and every later page finds it loaded (the same URL is the same module); the Train page
// too, so that a first run's live chart shows its first points at once.  A page whose
// charts come a moment later (a Weights section in a new tab) starts it at once, while the rest arrives.
// bundle: the file name of Streamlit's Plotly bundle; now: load it at once rather than when the browser is idle.
(bundle, now) => {
  const load = () => import(new URL("static/js/" + bundle, document.baseURI).href);
  now ? load() : (window.requestIdleCallback || setTimeout)(load);
}
