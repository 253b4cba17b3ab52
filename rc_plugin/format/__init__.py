"""The .rcl byte format: every bitstream constant and its fingerprint (bitstream, grids), the header and chunks
(container), the tile records (records), and the DEFLATE streams every coder shares (alpha, inflate). It knows sizes,
ranges and ids, never a coder's algorithm."""
