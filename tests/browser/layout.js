/* A layout checker for pages shown on a classroom projector (issue 16).

The `layout_problems` fixture (conftest.py) runs this in the page: it lists, in words, what a class at the
back of the room could not read:

- two tick labels of one axis (or of one colour bar) overlapping, or tick labels turned
  sideways (Plotly turns them when they do not fit flat: an unreadable band);
- an axis title over a tick label of the same chart; a chart's title wider than the chart;
- on an axis of whole numbers (t, T, unit, k, training step), a tick label that is not an
  integer (t = 1.5);
- on a log axis, a tick label that is not a power of ten (Plotly's minor labels "2", "5");
- in a diagram drawn with shapes (the cell diagram), a text that spills over the edge of its
  box, or a text outside the boxes that runs into one;
- a button or a widget's label (a slider's, a select box's) cut off or wrapped onto a
  second line;
- anything past the right edge: the page scrolls sideways, a chart ends outside the window,
  a box (an equation, a code block) hides part of its content on the right, or a table's
  last columns are scrolled off (the Training page's runs table hid its steps/s).

Shadow roots are searched too: the app's own buttons (◀ ▶ Play) live in components.

   Returns the problems, one line of text each. */
(() => {
  const problems = [];
  const W = window.innerWidth;
  const SLACK = 1;  // px: sub-pixel rounding is not an overlap
  const deepAll = (selector, root = document) => {
    const found = [...root.querySelectorAll(selector)];
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) found.push(...deepAll(selector, el.shadowRoot));
    }
    return found;
  };
  // (the sidebar folded away still holds its widgets, squeezed, and a shut expander its
  // content, below its title: neither is on screen)
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0) || getComputedStyle(el).visibility === 'hidden'
        || el.closest('[data-testid="stSidebar"][data-collapsed="true"]')) return false;
    for (let up = el.closest('details'); up; up = up.parentElement.closest('details')) {
      if (r.top >= up.getBoundingClientRect().bottom - SLACK) return false;
    }
    return true;
  };
  const overlap = (a, b) => a.left < b.right - SLACK && b.left < a.right - SLACK
    && a.top < b.bottom - SLACK && b.top < a.bottom - SLACK;
  const say = (text) => text.replace(/\s+/g, ' ').trim().slice(0, 60);
  const ticks = (layer) => [...layer.querySelectorAll(':scope > g > text')]
    .filter((t) => t.textContent.trim() && shown(t));

  document.querySelectorAll('.js-plotly-plot').forEach((gd, k) => {
    const title = gd.querySelector('.gtitle');
    const chart = `chart "${title ? say(title.textContent) : k + 1}"`;
    const all = [];
    const layers = gd.querySelectorAll('g.xaxislayer-above, g.yaxislayer-above, g.cbaxis');
    for (const layer of layers) {
      const labels = ticks(layer);
      all.push(...labels);
      const boxes = labels.map((t) => t.getBoundingClientRect());
      let overlaps = 0, first = '';
      for (let i = 0; i < labels.length; i++) {
        const turned = /rotate\((-?[\d.]+)/.exec(labels[i].getAttribute('transform') || '');
        if (turned && Math.abs(parseFloat(turned[1])) > 0.5) {
          problems.push(`${chart}: tick label "${say(labels[i].textContent)}" turned `
            + `${turned[1]}°`);
          break;
        }
        for (let j = i + 1; j < labels.length; j++) {
          if (overlap(boxes[i], boxes[j])) {
            overlaps += 1;
            first = first || `"${say(labels[i].textContent)}" and "${say(labels[j].textContent)}"`;
          }
        }
      }
      if (overlaps) problems.push(`${chart}: ${overlaps} pairs of tick labels overlap (${first})`);
    }
    const axisTitles = [...gd.querySelectorAll('.infolayer text')].filter((t) =>
      /^[xy]\d*title$/.test(t.getAttribute('class') || '') && t.textContent.trim() && shown(t));
    for (const axisTitle of axisTitles) {
      const box = axisTitle.getBoundingClientRect();
      const hit = all.find((t) => overlap(box, t.getBoundingClientRect()));
      if (hit) {
        problems.push(`${chart}: axis title "${say(axisTitle.textContent)}" over tick label `
          + `"${say(hit.textContent)}"`);
      }
    }
    const full = gd._fullLayout || {};
    for (const [name, axis] of Object.entries(full)) {
      if (!/^[xy]axis\d*$/.test(name) || !axis || !axis._vals || axis.visible === false) continue;
      const labels = axis._vals.map((v) => String(v.text ?? '').replace(/<[^>]*>/g, ''))
        .filter((text) => text.trim());
      const axisTitle = (axis.title && axis.title.text || '').replace(/<[^>]*>/g, '');
      if (/^(t|T|unit|units|k|training step)(\b|$)/.test(axisTitle)) {
        const bad = labels.filter((text) => !/^[−-]?\d[\d,\u2009 ]*k?$/.test(text.trim()));
        if (bad.length) {
          problems.push(`${chart}: axis "${say(axisTitle)}" counts whole steps but is `
            + `labelled ${bad.slice(0, 4).join(', ')}`);
        }
      }
      if (axis.type === 'log') {
        const power = /^(10[−-]?\d*|1|0\.0*1|10+|1e[−+-]?\d+|1[mµnkMG]?)$/;
        const bad = labels.filter((text) => !power.test(text.trim()));
        if (bad.length) {
          problems.push(`${chart}: log axis "${say(axisTitle)}" labelled `
            + `${bad.slice(0, 4).join(', ')} (not powers of ten)`);
        }
      }
    }
    // a diagram's text (the cell diagram: boxes drawn as shapes, their text as annotations):
    // a text whose middle is in a box stays inside the smallest such box; any other text
    // runs into no box
    const boxes = [...gd.querySelectorAll('.shapelayer path')].map((shape) =>
      shape.getBoundingClientRect()).filter((r) => r.width > 2 && r.height > 2);
    const inside = (r, box) => r.left >= box.left - SLACK && r.right <= box.right + SLACK
      && r.top >= box.top - SLACK && r.bottom <= box.bottom + SLACK;
    for (const text of gd.querySelectorAll('.annotation text.annotation-text')) {
      if (!text.textContent.trim() || !shown(text)) continue;
      const r = text.getBoundingClientRect();
      const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
      const around = boxes.filter((b) => b.left <= x && x <= b.right && b.top <= y
        && y <= b.bottom).sort((a, b) => a.width * a.height - b.width * b.height)[0];
      if (around ? !inside(r, around) : boxes.some((b) => overlap(r, b))) {
        problems.push(`${chart}: text "${say(text.textContent)}" spills over `
          + (around ? 'the edge of its box' : 'a box'));
      }
    }
    const frame = gd.getBoundingClientRect();
    if (title && shown(title)) {
      const box = title.getBoundingClientRect();
      if (box.left < frame.left - SLACK || box.right > frame.right + SLACK) {
        problems.push(`${chart}: its title is wider than the chart and cut off`);
      }
    }
    const right = frame.right;
    if (right > W + SLACK) problems.push(`${chart}: ends at x = ${Math.round(right)} > ${W}`);
  });

  // a label must read whole on one line: nothing cut off (an ellipsis, a clipped box) and
  // no word wrapped onto a second line
  const checkLabel = (box, what) => {
    const name = say(box.textContent);
    const cut = [box, ...box.querySelectorAll('*')].find((el) =>
      el.scrollWidth > el.clientWidth + SLACK && el.clientWidth > 0
      && getComputedStyle(el).overflowX !== 'visible');
    if (cut) problems.push(`${what} "${name}": label cut off`);
    // the lines its words sit on: each text node's line boxes, by their top
    const tops = new Set();
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top / 8));
    }
    if (tops.size > 1) problems.push(`${what} "${name}": label wraps onto ${tops.size} lines`);
  };
  for (const button of deepAll('button')) {
    if (shown(button) && button.textContent.trim()) checkLabel(button, 'button');
  }
  for (const label of document.querySelectorAll('[data-testid="stWidgetLabel"]')) {
    if (shown(label) && label.textContent.trim()) checkLabel(label, 'widget');
  }

  const page = document.documentElement;
  if (page.scrollWidth > W + SLACK) {
    problems.push(`the page scrolls sideways: ${page.scrollWidth} px wide in a ${W} px window`);
  }
  // boxes that hide part of what they hold on the right (an equation, a table's columns)
  const main = document.querySelector('[data-testid="stMain"]');
  for (const el of main ? main.querySelectorAll('.katex-display, '
      + '[data-testid="stMarkdownContainer"], [data-testid="stCode"] pre') : []) {
    if (!shown(el) || el.clientWidth === 0) continue;
    if (el.scrollWidth > el.clientWidth + SLACK) {
      problems.push(`"${say(el.textContent) || el.className}" is cut off on the right `
        + `(${el.scrollWidth} px in ${el.clientWidth})`);
    }
  }
  // a table (Glide's grid, drawn on a canvas): every column inside the table's box, none
  // scrolled off to the right. Its hidden accessible table holds the columns drawn so far
  // and aria-colcount the columns it has.
  for (const grid of main ? main.querySelectorAll('[data-testid="stDataFrame"]') : []) {
    const scroller = grid.querySelector('.dvn-scroller');
    if (!scroller || !shown(scroller) || scroller.clientWidth === 0) continue;
    const table = grid.querySelector('table[aria-colcount]');
    const columns = table ? Number(table.getAttribute('aria-colcount')) : 0;
    const drawn = [...grid.querySelectorAll('[role="columnheader"]')]
      .map((th) => `"${say(th.textContent)}"`);
    if (scroller.scrollWidth > scroller.clientWidth + SLACK) {
      problems.push(`table of ${columns || '?'} columns (${drawn.join(', ')}): its columns `
        + `are ${scroller.scrollWidth} px wide in ${scroller.clientWidth}, the last ones `
        + 'scrolled off on the right');
    }
  }
  return problems;
})
