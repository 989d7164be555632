-- FLOOR: GET the bench's own fixed 600-byte JSON endpoint.
require "common"
