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

// A diagram drawn to scale (its fit_text, rnnviz.figures.forward.FIT_TEXT: the px of
// drawing per unit of its coordinates that each px of its largest text needs) keeps its text
// inside its boxes: in a chart too narrow for it Plotly draws the diagram smaller, and its
// text (the annotations) is drawn smaller by as much as it then lacks.
function textSizes(layout, scale) {
  return (layout.annotations || []).map((a) => a.font && a.font.size ? a.font.size * scale : null);
}

function scaleText(layout, scale) {
  textSizes(layout, scale).forEach((size, k) => {
    if (size) layout.annotations[k].font = { ...layout.annotations[k].font, size };
  });
}

function drawnScale(div) {  // how much of the text's size the drawing leaves room for (<= 1)
  const full = div._fullLayout, layout = div.rnnvizLayout;
  const largest = Math.max(...textSizes(layout, 1).filter(Boolean));
  if (!full || !full.xaxis || !(largest > 0)) return 1;
  return Math.min(1, Math.abs(full.xaxis._m) / (div.rnnvizFit * largest));
}

function refit(Plotly, div) {
  if (!div.rnnvizLayout) return;
  const scale = drawnScale(div);
  if (Math.abs(scale - div.rnnvizScale) < 0.01) return;
  div.rnnvizScale = scale;
  const update = {};
  textSizes(div.rnnvizLayout, scale).forEach((size, k) => {
    if (size) update[`annotations[${k}].font.size`] = size;
  });
  Plotly.relayout(div, update);
}

export default function ({ data, parentElement }) {
  const div = parentElement.querySelector(".rnnviz-chart");
  div.rnnvizFigure = data.figure;  // the newest figure: an older one still loading is dropped
  loadPlotly(data.plotly).then((Plotly) => {
    if (div.rnnvizFigure !== data.figure || !div.isConnected) return;
    const figure = JSON.parse(data.figure);
    const fits = Boolean(figure.fit_text);
    div.rnnvizFit = figure.fit_text;
    div.rnnvizLayout = fits ? JSON.parse(JSON.stringify(figure.layout)) : null;
    div.rnnvizScale = div.rnnvizScale || 1;
    if (fits) scaleText(figure.layout, div.rnnvizScale);  // as last drawn: no flash of large text
    return Plotly.react(div, figure.data, figure.layout, data.config).then(() => {
      if (!fits || div.rnnvizRefits) return refit(Plotly, div);
      div.rnnvizRefits = true;  // and again whenever Plotly redraws it (a resized window)
      div.on("plotly_afterplot", () => refit(Plotly, div));
      return refit(Plotly, div);
    });
  }).catch((error) => {
    div.textContent = "This chart could not be drawn: " + error.message;
  });
  return () => {  // taken off the page: Plotly lets go of it (its resize listener)
    setTimeout(() => {
      if (!div.isConnected && window.Plotly) window.Plotly.purge(div);
    });
  };
}
