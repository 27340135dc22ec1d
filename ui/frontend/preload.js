// Streamlit loads its Plotly bundle (4.7 MB) only when a page first shows a chart, which then waits
// 1.5-2 s on a small machine.  The home page has no chart: it fetches and runs the bundle while the
// person reads, and every later page finds it loaded (the same URL is the same module).
// bundle: the file name of Streamlit's Plotly bundle.
(bundle) => {
  const load = () => import(new URL("static/js/" + bundle, document.baseURI).href);
  (window.requestIdleCallback || setTimeout)(load);
}
