"""Lightning's README example (the MNIST autoencoder), with only the imports changed:
``torch`` -> ``ember``, ``lightning`` -> ``ember_lightning``. MNIST itself is replaced by a
random dataset of the same shapes, since tests must not download."""

import os

import ember
import ember.optim  # noqa: F401  (`import ember` alone does not load ember.optim yet)
import ember.utils.data  # noqa: F401


def test_readme_autoencoder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # ---- imports changed -------------------------------------------------------------
    from ember import nn, optim, utils
    import ember as torch

    import ember_lightning as L

    def MNIST(root, download, transform):  # stand-in: 120 random 1x28x28 images
        g = torch.Generator().manual_seed(0)
        return utils.data.TensorDataset(torch.rand(120, 1, 28, 28, generator=g),
                                        torch.randint(0, 10, (120,), generator=g))
    ToTensor = object
    # ---- README text from here on ------------------------------------------------------

    # define any number of nn.Modules (or use your current ones)
    encoder = nn.Sequential(nn.Linear(28 * 28, 64), nn.ReLU(), nn.Linear(64, 3))
    decoder = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 28 * 28))

    # define the LightningModule
    class LitAutoEncoder(L.LightningModule):
        def __init__(self, encoder, decoder):
            super().__init__()
            self.encoder = encoder
            self.decoder = decoder

        def training_step(self, batch, batch_idx):
            # training_step defines the train loop.
            # it is independent of forward
            x, _ = batch
            x = x.view(x.size(0), -1)
            z = self.encoder(x)
            x_hat = self.decoder(z)
            loss = nn.functional.mse_loss(x_hat, x)
            # Logging to TensorBoard (if installed) by default
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            optimizer = optim.Adam(self.parameters(), lr=1e-3)
            return optimizer

    # init the autoencoder
    autoencoder = LitAutoEncoder(encoder, decoder)

    # setup data
    dataset = MNIST(os.getcwd(), download=True, transform=ToTensor())
    train_loader = utils.data.DataLoader(dataset)

    # train the model (hint: here are some helpful Trainer arguments for rapid idea iteration)
    trainer = L.Trainer(limit_train_batches=100, max_epochs=1)
    trainer.fit(model=autoencoder, train_dataloaders=train_loader)

    # load checkpoint
    checkpoint = "./lightning_logs/version_0/checkpoints/epoch=0-step=100.ckpt"
    autoencoder = LitAutoEncoder.load_from_checkpoint(checkpoint, encoder=encoder, decoder=decoder)

    # choose your trained nn.Module
    encoder = autoencoder.encoder
    encoder.eval()

    # embed 4 fake images!
    fake_image_batch = torch.rand(4, 28 * 28, device=autoencoder.device)
    embeddings = encoder(fake_image_batch)
    print("⚡" + "\n".join(str(embeddings.tolist())) + "⚡")
    # ---- end of README text -------------------------------------------------------------

    assert tuple(embeddings.shape) == (4, 3)
    assert trainer.global_step == 100
    out = capsys.readouterr().out
    assert "Epoch 0: 100%" in out and "Trainable params" in out
    metrics = (tmp_path / "lightning_logs" / "version_0" / "metrics.csv").read_text().splitlines()
    assert metrics[0].split(",") == ["epoch", "train_loss", "step"] and len(metrics) == 3
