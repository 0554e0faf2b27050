r"""
---
title: The training curve as an SVG
summary: Draws the recorded loss and accuracy of a training run as an accessible inline SVG at build time, with no plotting library; hover or a slider reads off each point.
---

# The training curve

A page about training code can show how a run of it actually went: the loss and the
accuracy, for training and validation, against the training step. The numbers come from a JSON
file that the run writes when it finishes (the plugin's `runs` option names it, and the words
around the chart); on this site, the experiment page shows its default run.

A plotting library would be a heavy dependency for two line charts, and it would draw a
picture of text. We write the SVG ourselves instead: it is inline in the page, so its text is
real text, its colours follow the theme (light or dark) through CSS classes, and a screen
reader gets a title and a description with the final numbers. Training and validation differ
in dash pattern as well as colour, for readers who do not see the colour.

Each point is drawn as a dot. Pointing at the chart, or moving the slider under it (with the
arrow keys once it has the focus), marks the points of one step and shows their values; the
slider tells a screen reader the same values. The site's script does this from the numbers
the chart carries in `data-chart`; without the script the chart is a plain picture.
"""

import html
import json
import math
from pathlib import Path

from . import SiteError

# The size of one chart in SVG units; the page scales it to the column's width
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 56, 48


# ## Tick marks
#
# Axis ticks at round numbers: the step between ticks is 1, 2 or 5 times a power of ten,
# chosen so that there are about five of them. The first tick is at or below the lowest
# value and the last at or above the highest, so every point lies inside the axes.
def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10) if m * power >= raw), default=10 * power)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    return [round(first + i * step, 12) for i in range(round((last - first) / step) + 1)]


def label(value: float) -> str:
    if abs(value) >= 1000:
        return f'{value / 1000:g}k'
    return f'{value:g}'


# ## One chart
#
# `series` is a list of `(name, css class, points)`. The y axis starts at zero for accuracy
# (a share) and at the lowest value for the loss, whose interesting part is near its floor.
def line_chart(chart_id: str, title: str, y_label: str, series, y_from_zero: bool,
               description: str, x_label: str = 'training step', y_percent: bool = False) -> str:
    xs = [x for _, _, points in series for x, _ in points]
    ys = [y for _, _, points in series for _, y in points]
    if not xs:
        raise SiteError(f'{chart_id}: the run has no points to draw')
    x_ticks = nice_ticks(0, max(xs))
    y_ticks = nice_ticks(0 if y_from_zero else min(ys), max(ys))
    x0, x1 = 0, max(x_ticks[-1], max(xs))
    y0, y1 = y_ticks[0], max(y_ticks[-1], max(ys))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    # A point $(x, y)$ of the data is drawn at $\code{px}(x)$ from the left edge and
    # $\code{py}(y)$ from the top, both in SVG units: $x_0$ and $\codeas{plot_w}{w}$ map the
    # axis onto the plot, $\code{px}(x) = \code{LEFT} + \frac{x - x_0}{x_1 - x_0}\,w$, and the
    # y axis grows upwards while SVG's grows down.
    def px(x):
        return LEFT + (x - x0) / ((x1 - x0) or 1) * plot_w

    def py(y):
        return TOP + plot_h - (y - y0) / ((y1 - y0) or 1) * plot_h

    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
           f'xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{chart_id}-title">{html.escape(title)}</title>',
           f'<desc id="{chart_id}-desc">{html.escape(description)}</desc>',
           f'<text class="chart-title" x="{LEFT}" y="22">{html.escape(title)}</text>']
    # Grid lines and tick labels
    for y in y_ticks:
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
                   f'y1="{py(y):.1f}" y2="{py(y):.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT - 8}" y="{py(y) + 4:.1f}" '
                   f'text-anchor="end">{label(y)}</text>')
    for x in x_ticks:
        out.append(f'<text class="tick" x="{px(x):.1f}" y="{TOP + plot_h + 18}" '
                   f'text-anchor="middle">{label(x)}</text>')
    out.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
               f'y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>')
    out.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}"/>')
    # Axis labels
    out.append(f'<text class="axis-label" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 8}" '
               f'text-anchor="middle">{html.escape(x_label)}</text>')
    out.append(f'<text class="axis-label" transform="translate(16 {TOP + plot_h / 2:.1f}) '
               f'rotate(-90)" text-anchor="middle">{html.escape(y_label)}</text>')
    # The lines, a dot at each point, and a legend at the top right
    steps = sorted({x for x in xs})
    data = {'title': title, 'steps': steps, 'percent': y_percent, 'series': []}
    for i, (name, cls, points) in enumerate(series):
        path = ' '.join(f'{"M" if j == 0 else "L"}{px(x):.1f},{py(y):.1f}'
                        for j, (x, y) in enumerate(points))
        out.append(f'<path class="series {cls}" d="{path}"/>')
        out.append(f'<g class="points {cls}">' + ''.join(
            f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" data-step="{steps.index(x)}"/>'
            for x, y in points) + '</g>')
        data['series'].append({'name': name, 'values': {steps.index(x): y for x, y in points}})
        lx = WIDTH - RIGHT - 130 * len(series) + i * 130
        # The legend has its own row under the title, so a long title never runs into it
        out.append(f'<line class="series {cls}" x1="{lx}" x2="{lx + 24}" y1="37" y2="37"/>')
        out.append(f'<text class="legend" x="{lx + 30}" y="42">{html.escape(name)}</text>')
    out.append('</svg>')
    # The slider starts at the last step; the script shows it (it does nothing without one)
    last = len(steps) - 1
    slider = (f'<label class="chart-step" hidden>Step <input type="range" min="0" max="{last}" '
              f'value="{last}" aria-valuetext="{html.escape(step_text(data, last))}"></label>')
    return (f'<div class="chart-box" id="{chart_id}" data-chart="{html.escape(json.dumps(data))}">\n'
            + '\n'.join(out) + f'\n<div class="chart-tip" aria-hidden="true" hidden></div>\n{slider}\n</div>')


# What one step of a chart says, for the slider's screen-reader text (the script writes the
# same when the slider moves)
def step_text(data: dict, i: int) -> str:
    values = [f'{s["name"]} {fmt_value(s["values"][i], data["percent"])}'
              for s in data['series'] if i in s['values']]
    return f'step {label(data["steps"][i])}: ' + ', '.join(values)


def fmt_value(value: float, percent: bool) -> str:
    return f'{value:.1%}' if percent else f'{value:.3f}'


# ## The run
#
# The JSON holds a `curve` of points (`step`, `train_loss`, `valid_accuracy` …) and a summary.
# A point may lack a value (validation runs less often than training): such gaps are skipped.
def load_run(path: Path, rel: str) -> dict:
    try:
        run = json.loads(path.read_text(encoding='utf-8'))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SiteError(f'{rel}: cannot read the run: {e}') from None
    if not isinstance(run, dict) or not isinstance(run.get('curve'), list) or not run['curve']:
        raise SiteError(f'{rel}: a run needs a non-empty `curve` list')
    return run


def points(run: dict, key: str) -> list[tuple[float, float]]:
    return [(p['step'], p[key]) for p in run['curve']
            if isinstance(p.get(key), (int, float)) and isinstance(p.get('step'), (int, float))]


# The words around the charts, from the plugin's `runs` option: what the section is called,
# which run it shows, what the loss and accuracy are measured on, and what the loss is
WORDING = {'heading': 'The recorded run', 'which': 'one recorded run', 'measured_on': '',
           'loss_label': 'loss'}


def run_html(run: dict, wording: dict | None = None) -> str:
    """The prose of the chart section: a heading, a sentence of facts and the two charts."""
    words = {**WORDING, **{k: str(v) for k, v in (wording or {}).items() if k in WORDING}}
    on = f' on {words["measured_on"]}' if words['measured_on'] else ''
    final = run.get('final', {})

    def fmt(key, pct=False):
        value = final.get(key)
        if not isinstance(value, (int, float)):
            return 'n/a'
        return fmt_value(value, pct)

    facts = (f'{run.get("steps", "?")} steps, {run.get("tokens_seen", 0):,} tokens in '
             f'{run.get("wall_time_s", 0) / 60:.1f} minutes '
             f'({run.get("tokens_per_s", 0):,.0f} tokens/s) on {run.get("machine", "an unnamed machine")}')
    loss = line_chart(
        'run-loss', f'Loss{on}', words['loss_label'],
        [('training', 'train', points(run, 'train_loss')),
         ('validation', 'valid', points(run, 'valid_loss'))], False,
        f'Training and validation loss against the training step; final training loss '
        f'{fmt("train_loss")}, final validation loss {fmt("valid_loss")}.')
    accuracy = line_chart(
        'run-accuracy', f'Accuracy{on}', 'accuracy',
        [('training', 'train', points(run, 'train_accuracy')),
         ('validation', 'valid', points(run, 'valid_accuracy'))], True,
        f'Training and validation accuracy{on} against the training step; final '
        f'training accuracy {fmt("train_accuracy", True)}, final validation accuracy '
        f'{fmt("valid_accuracy", True)}.', y_percent=True)
    # `#recorded-run` is the anchor that prose can link to (a page's own "Measured" heading is
    # `#measured`)
    return (f'<h2 id="recorded-run">{html.escape(words["heading"])}</h2>\n'
            f'<p>The curves of {html.escape(words["which"])}: {html.escape(facts)}. '
            f'The final validation accuracy{html.escape(on)} is '
            f'<strong>{fmt("valid_accuracy", True)}</strong> '
            f'(loss {fmt("valid_loss")}).</p>\n'
            f'<figure class="run-chart">{loss}\n{accuracy}</figure>\n')
