"""The encoder: attention equals its formula, the model is bidirectional, the loss counts masked positions only."""
import math

import pytest
import torch
import torch.nn.functional as F

from labml_nn.transformers.mha import MultiHeadAttention, attention
from labml_nn.transformers.mlm.model import TransformerMLM, masked_loss_and_accuracy


def by_hand(q, k, v, mask=None):
    r"""softmax(QKᵀ/√d_k)V one query at a time, with plain Python sums over the keys."""
    out = torch.zeros_like(q)
    d_k = q.shape[-1]
    for b in range(q.shape[0]):
        for h in range(q.shape[1]):
            for i in range(q.shape[2]):
                scores = [float(q[b, h, i] @ k[b, h, j]) / math.sqrt(d_k) for j in range(k.shape[2])]
                if mask is not None:
                    scores = [s if bool(mask[b, 0, i, j]) else -math.inf for j, s in enumerate(scores)]
                top = max(scores)
                weights = [math.exp(s - top) for s in scores]
                total = sum(weights)
                for j, w in enumerate(weights):
                    out[b, h, i] += w / total * v[b, h, j]
    return out


def test_attention_equals_formula():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 4, generator=g, dtype=torch.float64) for _ in range(3))
    mask = torch.rand(2, 1, 5, 5, generator=g) > 0.3
    mask[..., 0] = True  # every query may see at least one key
    expected = by_hand(q, k, v, mask)
    assert torch.allclose(attention(q, k, v, mask), expected, atol=1e-10)
    assert torch.allclose(F.scaled_dot_product_attention(q, k, v, attn_mask=mask), expected, atol=1e-10)
    assert torch.allclose(attention(q, k, v), by_hand(q, k, v), atol=1e-10)


def test_module_uses_the_same_attention():
    r"""The module (fused kernel) equals projections + the written-out `attention` + output projection."""
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=16, n_heads=4, dropout=0.0).double().eval()
    x = torch.randn(2, 7, 16, dtype=torch.float64)
    q, k, v = mha.qkv(x).split(16, dim=-1)
    q, k, v = (t.view(2, 7, 4, 4).transpose(1, 2) for t in (q, k, v))
    expected = mha.output(attention(q, k, v).transpose(1, 2).reshape(2, 7, 16))
    assert torch.allclose(mha(x), expected, atol=1e-10)


def small_model():
    torch.manual_seed(0)
    return TransformerMLM(n_tokens=20, max_len=16, d_model=32, n_layers=2, n_heads=4, d_ff=64, dropout=0.1).eval()


def test_bidirectional():
    r"""An output depends on later positions (and earlier ones): no causal mask."""
    model = small_model()
    x = torch.randint(2, 20, (1, 16), generator=torch.Generator().manual_seed(1))
    later = x.clone()
    later[0, -1] = 2 if x[0, -1] != 2 else 3
    with torch.no_grad():
        a, b = model(x), model(later)
    assert not torch.allclose(a[0, 0], b[0, 0], atol=1e-6)
    earlier = x.clone()
    earlier[0, 0] = 2 if x[0, 0] != 2 else 3
    with torch.no_grad():
        c = model(earlier)
    assert not torch.allclose(a[0, -1], c[0, -1], atol=1e-6)


def test_positions_matter():
    r"""The same character at two positions gets two different outputs: positions are visible."""
    model = small_model()
    x = torch.full((1, 16), 5)
    with torch.no_grad():
        out = model(x)[0]
    assert not torch.allclose(out[0], out[8], atol=1e-5)


def test_eval_mode_is_deterministic():
    model = small_model()
    x = torch.randint(2, 20, (2, 16))
    with torch.no_grad():
        assert torch.equal(model(x), model(x))


def test_loss_counts_masked_positions_only():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(2, 8, 10, generator=g)
    labels = torch.zeros(2, 8, dtype=torch.long)  # 0 is padding: nothing to predict
    labels[0, 1], labels[0, 5], labels[1, 7] = 3, 4, 9
    loss, correct, total = masked_loss_and_accuracy(logits, labels, padding_token=0)
    picked = [(0, 1, 3), (0, 5, 4), (1, 7, 9)]
    expected = sum(-logits[b, s].log_softmax(-1)[t] for b, s, t in picked) / 3
    assert torch.allclose(loss, expected)
    assert int(total) == 3
    assert int(correct) == sum(int(logits[b, s].argmax() == t) for b, s, t in picked)
    # Changing the logits of unmasked positions changes nothing
    other = logits.clone()
    other[labels == 0] = torch.randn(int((labels == 0).sum()), 10, generator=g) * 10
    assert torch.equal(masked_loss_and_accuracy(other, labels, 0)[0], loss)


def test_loss_with_nothing_masked_is_zero_not_nan():
    logits = torch.randn(1, 4, 6, requires_grad=True)
    loss, correct, total = masked_loss_and_accuracy(logits, torch.zeros(1, 4, dtype=torch.long), 0)
    loss.backward()
    assert float(loss.detach()) == 0.0 and int(total) == 0 and logits.grad is not None


def test_dropout_rate_scale_and_determinism():
    from labml_nn.transformers.dropout import Dropout
    d = Dropout(0.1).train()
    x = torch.ones(1000, 1000)
    torch.manual_seed(3)
    y = d(x)
    dropped = float((y == 0).float().mean())
    # 0.1 within 5 standard deviations over a million elements; survivors scaled to keep the mean
    assert abs(dropped - 0.1) < 5 * (0.1 * 0.9 / 1e6) ** 0.5
    assert abs(float(y.mean()) - 1.0) < 0.002
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 65536 / (65536 - 6554)))
    torch.manual_seed(3)
    assert torch.equal(d(x), y)  # the global generator decides, so seeding reproduces it
    # Every element's mask is independent of its neighbours' (no lane is stuck)
    lanes = (y.reshape(-1)[:999999].view(-1, 3) == 0).float().mean(dim=0)
    assert ((lanes - 0.1).abs() < 0.003).all()
    d.eval()
    assert torch.equal(d(x), x)


def test_dropout_gradient_is_the_mask():
    from labml_nn.transformers.dropout import Dropout
    d = Dropout(0.3).train()
    x = torch.randn(50, 40, requires_grad=True)
    y = d(x)
    y.sum().backward()
    assert torch.allclose(x.grad, y.detach() / x.detach())


# ## The BERT-like options (each off by default; the golden tests check the defaults bit for bit)

def option_model(**options):
    torch.manual_seed(0)
    return TransformerMLM(n_tokens=20, max_len=16, d_model=32, n_layers=3, n_heads=4, d_ff=64, dropout=0.1,
                          **options).eval()


def test_default_options_are_the_adopted_ones():
    r"""Naming every option at its default builds the same weights as not naming them."""
    plain = option_model()
    named = option_model(tie_embeddings=False, head_transform=False, embedding_norm=False, activation='relu',
                         post_norm=False, init='torch')
    assert plain.state_dict().keys() == named.state_dict().keys()
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), named.state_dict().values()))


def test_tied_embeddings_are_one_tensor():
    import torch.nn as nn
    model = option_model(tie_embeddings=True).train()
    assert model.output.projection.weight is model.embeddings.tokens.weight
    # Counted once: the untied model has one more [n_tokens, d_model] matrix
    assert (sum(p.numel() for p in option_model().parameters())
            - sum(p.numel() for p in model.parameters())) == 20 * 32
    # The matrix gets the gradient of both uses, and stays one tensor through an optimizer step
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    x = torch.randint(2, 20, (2, 16))
    model(x).sum().backward()
    optimizer.step()
    assert model.output.projection.weight is model.embeddings.tokens.weight
    assert torch.equal(model.output.projection.weight, model.state_dict()['embeddings.tokens.weight'])
    # A tied model needs a token table of the right shape
    with pytest.raises(ValueError):
        TransformerMLM(n_tokens=20, max_len=16, d_model=32, n_layers=1, n_heads=4, d_ff=64, dropout=0.0,
                       tie_embeddings=True, embeddings=nn.Identity())


def test_head_transform_is_dense_gelu_norm():
    model = option_model(head_transform=True)
    head = model.output
    h = torch.randn(2, 5, 32)
    expected = head.projection(F.layer_norm(F.gelu(head.dense(h)), (32,), head.norm.weight, head.norm.bias))
    assert torch.allclose(head(h), expected, atol=1e-6)
    assert model(torch.randint(2, 20, (2, 16))).shape == (2, 16, 20)


def test_embedding_norm_normalizes_each_position():
    model = option_model(embedding_norm=True)
    x = torch.randint(2, 20, (3, 16))
    e = model.embeddings
    with torch.no_grad():
        h = e(x)  # eval mode: no dropout
        raw = e.tokens(x) + e.positions(torch.arange(16))
    assert torch.allclose(h, F.layer_norm(raw, (32,)), atol=1e-5)
    # Each position's vector has mean 0 and a variance near 1 (a little under: the norm's
    # epsilon, 1e-5, is not negligible next to the variance of the small initial sum)
    assert torch.allclose(h.mean(-1), torch.zeros(3, 16), atol=1e-5)
    assert (h.var(-1, unbiased=False) > 0.95).all()
    # Without the option the sum is left at its small initial scale
    assert option_model().embeddings(torch.randint(2, 20, (3, 16))).std() < 0.1


def test_relu_activation():
    from labml_nn.transformers.feed_forward import FeedForward
    torch.manual_seed(0)
    ff = FeedForward(8, 16, 0.0, activation='relu')
    x = torch.randn(2, 3, 8)
    assert torch.allclose(ff(x), ff.layer2(torch.relu(ff.layer1(x))))
    assert isinstance(option_model(activation='relu').encoder.layers[0].feed_forward.activation, torch.nn.ReLU)
    with pytest.raises(ValueError):
        FeedForward(8, 16, 0.0, activation='swish')


def test_post_norm_layers_end_normalized():
    model = option_model(post_norm=True)
    assert isinstance(model.encoder.norm, torch.nn.Identity)
    layer = model.encoder.layers[0]
    x = torch.randn(2, 16, 32) * 5
    with torch.no_grad():
        y = layer(x)
        # By hand: LN(x + Attention(x)), then LN(x + FFN(x))
        a = layer.norm_attention(x + layer.attention(x))
        expected = layer.norm_ff(a + layer.feed_forward(a))
    assert torch.allclose(y, expected, atol=1e-6)
    assert torch.allclose(y.mean(-1), torch.zeros(2, 16), atol=1e-5)


def test_initializations():
    import math as m
    normal, scaled, default = option_model(init='normal'), option_model(init='scaled'), option_model()
    n_layers = 3
    for layer in scaled.encoder.layers:
        for w in (layer.attention.output.weight, layer.feed_forward.layer2.weight):
            assert abs(float(w.detach().std()) - 0.02 / m.sqrt(2 * n_layers)) < 0.002
        assert abs(float(layer.attention.qkv.weight.detach().std()) - 0.02) < 0.002
    assert abs(float(normal.encoder.layers[0].feed_forward.layer2.weight.detach().std()) - 0.02) < 0.002
    # PyTorch's own: uniform within ±1/√fan-in, biases not zero
    w = default.encoder.layers[0].feed_forward.layer1.weight.detach()
    assert float(w.abs().max()) <= 1 / m.sqrt(32) and float(w.std()) > 0.1
    assert float(default.encoder.layers[0].feed_forward.layer1.bias.detach().abs().sum()) > 0
    with pytest.raises(ValueError):
        option_model(init='xavier')


@pytest.mark.parametrize('options', [{}, {'post_norm': True, 'embedding_norm': True},
                                     {'tie_embeddings': True, 'head_transform': True}])
def test_scoring_only_the_masked_positions(options):
    r"""`positions` gives the full model's logits at those positions, in `labels[positions]` order."""
    model = option_model(**options)
    g = torch.Generator().manual_seed(4)
    x = torch.randint(2, 20, (3, 16), generator=g)
    positions = torch.rand(3, 16, generator=g) < 0.3
    with torch.no_grad():
        full = model(x)
        selected = model(x, positions=positions)
    assert selected.shape == (int(positions.sum()), 20)
    assert torch.allclose(selected, full[positions], atol=1e-5)
    # The loss is the same computed either way
    labels = torch.where(positions, torch.randint(2, 20, (3, 16), generator=g), torch.zeros_like(x))
    a = masked_loss_and_accuracy(full, labels, 0)
    b = masked_loss_and_accuracy(selected, labels[positions], 0)
    assert torch.allclose(a[0], b[0], atol=1e-5) and a[1:] == b[1:]
    # Nothing selected: no rows, and a zero loss rather than NaN
    none = torch.zeros(3, 16, dtype=torch.bool)
    with torch.no_grad():
        empty = model(x, positions=none)
    assert empty.shape == (0, 20)
    assert float(masked_loss_and_accuracy(empty, labels[none], 0)[0]) == 0.0


def test_scoring_only_the_masked_positions_trains_the_same():
    r"""Gradients through the selected rows equal the full model's gradients of the same loss."""
    g = torch.Generator().manual_seed(5)
    x = torch.randint(2, 20, (2, 16), generator=g)
    labels = torch.where(torch.rand(2, 16, generator=g) < 0.3, torch.randint(2, 20, (2, 16), generator=g),
                         torch.zeros_like(x))
    grads = []
    for scored_only in (False, True):
        model = option_model()
        if scored_only:
            target = labels != 0
            loss = masked_loss_and_accuracy(model(x, positions=target), labels[target], 0)[0]
        else:
            loss = masked_loss_and_accuracy(model(x), labels, 0)[0]
        loss.backward()
        grads.append([p.grad for p in model.parameters()])
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(*grads))
