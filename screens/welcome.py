from kata_snp_tui.screens.not_built import NotBuiltScreen


class WelcomeScreen(NotBuiltScreen):
    STAGE_ID = "welcome"
