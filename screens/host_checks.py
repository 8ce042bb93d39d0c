from kata_snp_tui.screens.not_built import NotBuiltScreen


class HostChecksScreen(NotBuiltScreen):
    STAGE_ID = "checks"
