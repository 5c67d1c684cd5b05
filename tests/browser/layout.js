/* A layout checker for pages shown on a classroom projector (issue 16).

The `layout_problems` fixture (conftest.py) runs this in the page: it lists, in words, what a class at the
back of the room could not read:

- two tick labels of one axis (or of one colour bar) overlapping, or tick labels turned
  sideways (Plotly turns them when they do not fit flat: an unreadable band);
- an axis title over a tick label of the same chart; a chart's title wider than the chart;
- on an axis of whole numbers (t, T, unit, k, training step), a tick label that is not an
  integer (t = 1.5);
- on a log axis, a tick label that is not a power of ten (Plotly's minor labels "2", "5");
- a button whose label is cut off or wraps onto a second line;
- anything past the right edge: the page scrolls sideways, a chart ends outside the window,
  or a box (an equation, a table) hides part of its content on the right.

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
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
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

  for (const button of deepAll('button')) {
    if (!shown(button) || !button.textContent.trim()) continue;
    const name = say(button.textContent);
    const cut = [button, ...button.querySelectorAll('*')].find((el) =>
      el.scrollWidth > el.clientWidth + SLACK && el.clientWidth > 0
      && getComputedStyle(el).overflowX !== 'visible');
    if (cut) problems.push(`button "${name}": label cut off`);
    // the lines its words sit on: each text node's line boxes, by their top
    const tops = new Set();
    const walker = document.createTreeWalker(button, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top / 8));
    }
    if (tops.size > 1) problems.push(`button "${name}": label wraps onto ${tops.size} lines`);
  }

  const page = document.documentElement;
  if (page.scrollWidth > W + SLACK) {
    problems.push(`the page scrolls sideways: ${page.scrollWidth} px wide in a ${W} px window`);
  }
  // boxes that hide part of what they hold on the right (an equation, a table's columns)
  const main = document.querySelector('[data-testid="stMain"]');
  for (const el of main ? main.querySelectorAll('.katex-display, .dvn-scroller, '
      + '[data-testid="stMarkdownContainer"], [data-testid="stCode"] pre') : []) {
    if (!shown(el) || el.clientWidth === 0) continue;
    if (el.scrollWidth > el.clientWidth + SLACK) {
      problems.push(`"${say(el.textContent) || el.className}" is cut off on the right `
        + `(${el.scrollWidth} px in ${el.clientWidth})`);
    }
  }
  return problems;
})
