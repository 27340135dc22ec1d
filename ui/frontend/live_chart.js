// The Train page's live chart: a Streamlit component that redraws its figure in place with Plotly.react,
// so the chart keeps its identity (no blink, the user's zoom kept) while it updates every second.
// data: {figure: a Plotly figure as JSON, bundle: the file name of Streamlit's Plotly bundle}.
export default function ({ parentElement, data }) {
  const div = parentElement.querySelector(".live-chart");
  const style = getComputedStyle(parentElement);
  const layout = {...data.figure.layout, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
                  font: {family: style.fontFamily, color: style.color}};
  div.style.minHeight = layout.height + "px";  // keeps its place while the bundle loads
  const draw = () => window.Plotly.react(div, data.figure.data, layout, {displayModeBar: false, responsive: true});
  if (window.Plotly) draw();
  else import(new URL("static/js/" + data.bundle, document.baseURI).href).then(draw);
}
