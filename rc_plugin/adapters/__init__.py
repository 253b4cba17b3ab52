"""rcl in other libraries: a Pillow format (pillow_plugin), an imageio plugin (imageio_plugin), a numcodecs and
zarr 3 codec (zarr_codec). Each calls rc_plugin.codec, and takes its options from rc_plugin.options."""
