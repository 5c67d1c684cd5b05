// A Plotly chart that stays on the page and is redrawn in place: each rerun sends the new
// figure and Plotly.react changes only what differs, where Streamlit's own chart is taken
// down and built anew whenever its figure changes. Plotly itself is Streamlit's: the chart
// module Streamlit loads for its own charts (data.plotly), imported once per page.
let plotly = null;

function loadPlotly(url) {
  if (plotly === null) {
    plotly = import(new URL(url, document.baseURI).href).then(() => {
      if (!window.Plotly) throw new Error("Plotly did not load from " + url);
      return window.Plotly;
    });
  }
  return plotly;
}

export default function ({ data, parentElement }) {
  const div = parentElement.querySelector(".rnnviz-chart");
  div.rnnvizFigure = data.figure;  // the newest figure: an older one still loading is dropped
  loadPlotly(data.plotly).then((Plotly) => {
    if (div.rnnvizFigure !== data.figure || !div.isConnected) return;
    const figure = JSON.parse(data.figure);
    return Plotly.react(div, figure.data, figure.layout, data.config);
  }).catch((error) => {
    div.textContent = "This chart could not be drawn: " + error.message;
  });
  return () => {  // taken off the page: Plotly lets go of it (its resize listener)
    setTimeout(() => {
      if (!div.isConnected && window.Plotly) window.Plotly.purge(div);
    });
  };
}
